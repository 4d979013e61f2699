package io.infrastate.examples.cli;

import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.inventory.GroupNamePolicy;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code infrastate state settings}: prints or changes the settings every writer of the state
 * applies, today the policy for group names Ansible rejects (see {@link GroupNames}). Not
 * thread-safe; picocli makes one per command line.
 */
@Command(
    name = "settings",
    description = {
      "Print the state's settings, or change them (one write, recorded in the history).",
      "--group-names reject (the default) refuses a host group Ansible rejects, such as cache-tier, when it is"
          + " written; transform stores it as Ansible would read it, cache_tier. Every writer of the state applies"
          + " the same policy, and 'inventory' uses it.",
    })
final class StateSettings extends Verb.OnState {
  @Option(names = "--group-names", paramLabel = "POLICY", description = "reject or transform.")
  String groupNames;

  StateSettings(Root root) {
    super(root);
  }

  @Override
  int run(State state) {
    if (groupNames == null) {
      print(state.snapshot(), null);
      return InfrastateCli.OK;
    }
    GroupNamePolicy policy = GroupNames.parse(groupNames);
    Snapshot after = root.update(state, root.audit("set group-name policy " + GroupNames.name(policy)), tx -> {
      ResourceState old = tx.getResource(GroupNames.KEY)
          .orElseGet(() -> ResourceState.builder("infrastate", "settings").name("CLI settings").build());
      tx.addResource(GroupNames.KEY, old.withData(GroupNames.FIELD, GroupNames.name(policy)));
    });
    print(after, after.metadata().serial());
    return InfrastateCli.OK;
  }

  private void print(Snapshot s, Long serial) {
    String policy = GroupNames.name(GroupNames.policy(s::getResource));
    if (json()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("group_names", policy);
      if (serial != null) {
        m.put("serial", serial);
      }
      out().println(Output.json(m));
    } else {
      out().println("group-names  " + policy + (serial == null ? "" : "  (serial " + serial + ")"));
    }
  }
}
