package io.infrastate.examples.cli;

import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.inventory.AnsibleJson;
import io.infrastate.inventory.AnsibleVault;
import io.infrastate.inventory.AnsibleYaml;
import io.infrastate.inventory.GroupNamePolicy;
import io.infrastate.inventory.Inventory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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
    subcommands = {InventoryCommand.Export.class, InventoryImport.class})
final class InventoryCommand extends Verb {
  @Option(names = "--list", description = "Print every group and host (dynamic inventory JSON with _meta.hostvars).")
  boolean list;

  @Option(names = "--host", paramLabel = "NAME", description = "Print one host's variables.")
  String host;

  @Option(names = "--group-names", paramLabel = "POLICY",
      description = "Group names Ansible rejects (dash, dot, leading digit): reject or transform (to _)."
          + " Default: the state's policy ('state settings'), reject unless changed.")
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
   * The state's inventory; with {@code --show-secrets}, secret values in clear (which needs the
   * key), else kept as secrets, which the writers refuse or vault. A state that was never written
   * is refused unless {@code allowMissing}: an empty inventory would make Ansible run against no
   * hosts, as if all were well, when the state URI is wrong or the state was lost.
   */
  static Inventory inventory(Root root, GroupNamePolicy policy, boolean allowMissing) {
    try (Root.Handle handle = root.openHandle()) {
      State state = handle.state();
      if (!allowMissing && !Verb.OnState.stored(state)) {
        throw CliException.error("No state is stored at " + state.location() + ", so there is no inventory: check"
            + " --state (or " + InfrastateCli.STATE_ENV + "), or add --allow-missing to print an empty one");
      }
      Snapshot s = state.snapshot();
      GroupNamePolicy p = policy != null ? policy : GroupNames.policy(s::getResource);
      if (p == GroupNamePolicy.REJECT) {
        for (HostState h : s.hosts().values()) {
          if (!h.group().isEmpty() && !GroupNamePolicy.isValid(h.group())) {
            throw CliException.error("Host " + h.name() + " is in group '" + h.group() + "', a name Ansible rejects"
                + " (only letters, digits and _, no leading digit), so there is no inventory. Rename it with"
                + " 'infrastate host set " + h.name() + " --group " + GroupNamePolicy.transform(h.group())
                + "', or add --group-names transform");
          }
        }
      }
      if (root.showSecrets()) {
        Map<String, HostState> clear = new LinkedHashMap<>();
        for (HostState h : s.hosts().values()) {
          @SuppressWarnings("unchecked")
          Map<String, Object> vars = (Map<String, Object>) Output.shown(h.vars(), true);
          clear.put(h.name(), h.withVars(vars));
        }
        s = Snapshot.of(s.metadata(), clear, s.resources());
      }
      return Inventory.from(s, p);
    } catch (IllegalArgumentException e) {
      throw CliException.error(e.getMessage());
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

    @Option(names = "--vault-password-file", paramLabel = "FILE", description = "Write secret values as Ansible Vault"
        + " (!vault |, $ANSIBLE_VAULT;1.1;AES256) encrypted with the password in FILE, which Ansible reads with its own"
        + " --vault-password-file (needs the state's key: $INFRASTATE_PASSPHRASE or --key-file).")
    Path vaultPasswordFile;

    @Option(names = "--group-names", paramLabel = "POLICY",
        description = "reject or transform group names Ansible rejects (default: the state's policy).")
    GroupNamePolicy groupNames;

    @Option(names = "--allow-missing", description = "Write an empty inventory when no state is stored (default: fail).")
    boolean allowMissing;

    Export(Root root) {
      super(root);
    }

    @Override
    public Integer call() {
      Inventory inv = inventory(root, groupNames, allowMissing);
      AnsibleVault vault = null;
      if (vaultPasswordFile != null) {
        if (format != Format.YAML) {
          throw CliException.usage("--vault-password-file needs --format yaml: JSON has no vault values");
        }
        try {
          vault = AnsibleVault.withPassword(Files.readString(vaultPasswordFile, StandardCharsets.UTF_8));
        } catch (IOException e) {
          throw CliException.error("Cannot read the vault password file " + vaultPasswordFile + ": "
              + Inputs.problem(e));
        }
      }
      String text = format == Format.YAML ? AnsibleYaml.toYaml(inv, vault) : AnsibleJson.toList(inv) + "\n";
      if (output == null) {
        out().print(text);
      } else {
        try {
          Files.writeString(output, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw CliException.error("Cannot write " + output + ": " + Inputs.problem(e));
        }
        out().println("wrote " + inv.hostCount() + " hosts to " + output);
      }
      return InfrastateCli.OK;
    }
  }
}
