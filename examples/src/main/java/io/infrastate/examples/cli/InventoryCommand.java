package io.infrastate.examples.cli;

import io.infrastate.State;
import io.infrastate.inventory.AnsibleJson;
import io.infrastate.inventory.AnsibleYaml;
import io.infrastate.inventory.GroupNamePolicy;
import io.infrastate.inventory.Inventory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code infrastate inventory}: the state's hosts as an Ansible inventory. With {@code --list} or
 * {@code --host NAME} it is an Ansible dynamic inventory script, usable through a one-line wrapper:
 *
 * <pre>
 * #!/bin/sh
 * exec /path/to/infrastate --state /srv/state.json inventory "$@"
 * </pre>
 *
 * <p>A state that was never written is an error (exit code {@value InfrastateCli#ERROR}), not an
 * empty inventory, unless {@code --allow-missing}: a wrong path or a lost state must stop Ansible,
 * not let it run against no hosts.
 *
 * <p>Not thread-safe; picocli makes one per command line.
 */
@Command(
    name = "inventory",
    description = {
      "The hosts as an Ansible inventory (a dynamic inventory script, or a YAML export).",
      "--list and --host NAME answer as a dynamic inventory script does; 'inventory export' writes a YAML"
          + " (or JSON) inventory. Use it from Ansible through a one-line wrapper:",
      "  printf '#!/bin/sh\\nexec %s --state %s inventory \"$@\"\\n' \"$PWD/infrastate\" \"$PWD/state.json\" > inv.sh",
      "  chmod +x inv.sh && ansible-inventory -i inv.sh --list",
      "A state that was never written is an error (exit 1), not an empty inventory, unless --allow-missing.",
    },
    subcommands = InventoryCommand.Export.class)
final class InventoryCommand extends Verb {
  @Option(names = "--list", description = "Print every group and host (dynamic inventory JSON with _meta.hostvars).")
  boolean list;

  @Option(names = "--host", paramLabel = "NAME", description = "Print one host's variables.")
  String host;

  @Option(names = "--group-names", paramLabel = "POLICY", defaultValue = "reject",
      description = "Group names Ansible warns about (dash, dot, leading digit): reject or transform (to _)."
          + " Default: ${DEFAULT-VALUE}.")
  GroupNamePolicy groupNames;

  @Option(names = "--allow-missing", description = "Print an empty inventory when no state is stored (default: fail"
      + " with exit 1, so that Ansible stops instead of running against no hosts).")
  boolean allowMissing;

  InventoryCommand(Root root) {
    super(root);
  }

  @Override
  public Integer call() {
    if (list == (host != null)) {
      throw CliException.usage("Give exactly one of --list, --host NAME, or the verb 'export'");
    }
    Inventory inv = inventory(root, groupNames, allowMissing);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    if (list) {
      AnsibleJson.writeList(inv, bytes);
    } else {
      AnsibleJson.writeHost(inv, host, bytes);
    }
    out().println(bytes.toString(StandardCharsets.UTF_8));
    return InfrastateCli.OK;
  }

  /**
   * The state's inventory. A state that was never written is refused unless {@code allowMissing}:
   * an empty inventory would make Ansible run against no hosts, as if all were well, when the state
   * URI is wrong or the state was lost.
   */
  static Inventory inventory(Root root, GroupNamePolicy policy, boolean allowMissing) {
    try (State state = root.open()) {
      if (!allowMissing && !Verb.OnState.stored(state)) {
        throw CliException.error("No state is stored at " + state.location() + ", so there is no inventory: check"
            + " --state (or " + InfrastateCli.STATE_ENV + "), or add --allow-missing to print an empty one");
      }
      return Inventory.from(state.snapshot(), policy);
    } catch (IllegalArgumentException e) {
      throw CliException.error(e.getMessage() + " (or use --group-names transform)");
    }
  }

  @Command(name = "export", description = "Write the inventory as an Ansible YAML (or JSON) inventory.")
  static final class Export extends Verb {
    /** The output formats. */
    enum Format {
      YAML,
      JSON
    }

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "yaml", description = "yaml or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--output", paramLabel = "FILE", description = "Write to FILE instead of standard output.")
    Path output;

    @Option(names = "--group-names", paramLabel = "POLICY", defaultValue = "reject",
        description = "reject or transform group names Ansible warns about (default: ${DEFAULT-VALUE}).")
    GroupNamePolicy groupNames;

    @Option(names = "--allow-missing", description = "Write an empty inventory when no state is stored (default: fail).")
    boolean allowMissing;

    Export(Root root) {
      super(root);
    }

    @Override
    public Integer call() {
      Inventory inv = inventory(root, groupNames, allowMissing);
      String text = format == Format.YAML ? AnsibleYaml.toYaml(inv) : AnsibleJson.toList(inv) + "\n";
      if (output == null) {
        out().print(text);
      } else {
        try {
          Files.writeString(output, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw CliException.error("Cannot write " + output + ": " + e.getClass().getSimpleName() + " " + e.getMessage());
        }
        out().println("wrote " + inv.hostCount() + " hosts to " + output);
      }
      return InfrastateCli.OK;
    }
  }
}
