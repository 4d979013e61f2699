package io.infrastate.examples.cli;

import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.inventory.AnsibleIni;
import io.infrastate.inventory.AnsibleYaml;
import io.infrastate.inventory.Group;
import io.infrastate.inventory.GroupNamePolicy;
import io.infrastate.inventory.Host;
import io.infrastate.inventory.Inventory;
import io.infrastate.inventory.InventoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code infrastate inventory import FILE}: adds the hosts of an Ansible INI or YAML inventory to
 * the state in one write, and reports what was added and what was skipped and why. Not
 * thread-safe; picocli makes one per command line.
 */
@Command(
    name = "import",
    description = {
      "Add the hosts of an Ansible inventory file (INI, or YAML for .yml/.yaml) to the state, in one write.",
      "Each host keeps its address, port, user and variables, and goes into its first group. Skipped, and"
          + " reported: hosts the state already has (change them with 'host set'), further group memberships"
          + " (a state host has one group), group variables and child groups. Group names follow the state's"
          + " policy ('state settings').",
    })
final class InventoryImport extends Verb.OnState {
  @Parameters(paramLabel = "FILE", description = "The inventory file.")
  Path file;

  @Option(names = "--dry-run", description = "Print the report; write nothing.")
  boolean dryRun;

  InventoryImport(Root root) {
    super(root);
  }

  @Override
  int run(State state) {
    List<HostState> added = new ArrayList<>();
    List<String[]> skipped = new ArrayList<>();
    Snapshot after;
    if (dryRun) {
      after = state.snapshot();
      plan(read(GroupNames.policy(after::getResource)), after::hasHost, added, skipped);
    } else {
      after = root.update(state, root.audit("import inventory " + file.getFileName()), tx -> {
        added.clear();
        skipped.clear();
        plan(read(GroupNames.policy(tx::getResource)), tx::hasHost, added, skipped);
        added.forEach(tx::addHost);
      });
    }
    long serial = after.metadata().serial();
    if (json()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("added", added.stream().map(HostState::name).toList());
      List<Object> s = new ArrayList<>();
      for (String[] x : skipped) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("what", x[0]);
        e.put("reason", x[1]);
        s.add(e);
      }
      m.put("skipped", s);
      m.put("serial", serial);
      m.put("dry_run", dryRun);
      out().println(Output.json(m));
    } else {
      for (HostState h : added) {
        out().println((dryRun ? "would add host " : "added host ") + h.name()
            + (h.group().isEmpty() ? "" : " (group " + h.group() + ")"));
      }
      for (String[] x : skipped) {
        out().println("skipped " + x[0] + ": " + x[1]);
      }
      out().println(StateCommand.count(added.size(), "host") + (dryRun ? " would be added" : " added") + ", "
          + skipped.size() + " skipped" + (dryRun ? "; dry run: nothing was written" : "") + " (serial " + serial + ")");
    }
    return InfrastateCli.OK;
  }

  private Inventory read(GroupNamePolicy policy) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    try {
      return name.endsWith(".yml") || name.endsWith(".yaml") ? AnsibleYaml.read(file, policy) : AnsibleIni.read(file, policy);
    } catch (InventoryException e) {
      if (e.kind() == InventoryException.Kind.INVALID_GROUP_NAME) {
        throw CliException.usage(file + (e.line().isPresent() ? " line " + e.line().getAsInt() : "") + ": a group"
            + " name has characters Ansible rejects, and this state refuses such names; nothing was imported. Rename"
            + " the group, or have this state transform such names: 'infrastate state settings --group-names"
            + " transform'");
      }
      throw CliException.error(InfrastateCli.oneLine(e.getMessage()) + "; nothing was imported");
    }
  }

  private static void plan(Inventory inv, java.util.function.Predicate<String> exists, List<HostState> added,
      List<String[]> skipped) {
    for (Host h : inv.hosts()) {
      List<String> groups = new ArrayList<>(inv.groupsOf(h.name()));
      groups.removeIf(g -> g.equals(Group.ALL) || g.equals(Group.UNGROUPED));
      if (exists.test(h.name())) {
        skipped.add(new String[] {"host " + h.name(), "the state has it already (change it with 'host set')"});
        continue;
      }
      String group = groups.isEmpty() ? "" : groups.get(0);
      added.add(h.toHostState(group));
      for (String g : groups.subList(Math.min(1, groups.size()), groups.size())) {
        skipped.add(new String[] {"group " + g + " of host " + h.name(), "a state host has one group; it is in "
            + group});
      }
    }
    for (Group g : inv.groups()) {
      if (!g.vars().isEmpty()) {
        skipped.add(new String[] {"vars of group " + g.name(), "group variables are not stored in the state ("
            + String.join(", ", g.vars().keySet()) + ")"});
      }
      if (!g.children().isEmpty() && !g.name().equals(Group.ALL)) {
        skipped.add(new String[] {"children of group " + g.name(), "child groups are not stored in the state ("
            + String.join(", ", g.children()) + ")"});
      }
    }
  }
}
