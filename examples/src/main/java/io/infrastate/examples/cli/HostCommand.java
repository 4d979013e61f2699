package io.infrastate.examples.cli;

import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.Transaction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code infrastate host …}: add, remove and list hosts.
 *
 * <p>Each verb object is not thread-safe; picocli makes one per command line.
 */
@Command(
    name = "host",
    description = "Add, change, remove and list hosts.",
    subcommands = {HostCommand.Add.class, HostCommand.Set.class, HostCommand.Rm.class, HostCommand.ListVerb.class})
final class HostCommand {
  private HostCommand() {}

  @Command(
      name = "add",
      description = {
        "Add a host, or replace every field of an existing one (its created_at is kept); one write."
            + " To change some fields of an existing host and keep the others, use 'host set'.",
        "--var values are typed when they read back as the same JSON (80, true, [\"a\"]); anything else is"
            + " a string; quote to force one: --var 'version=\"15\"'.",
      })
  static final class Add extends Verb.OnState {
    @Parameters(paramLabel = "NAME", description = "The host name.")
    String name;

    @Option(names = "--address", paramLabel = "ADDR", description = "The address to connect to.")
    String address = "";

    @Option(names = "--port", paramLabel = "PORT", description = "The SSH port, 0..65535 (0: unset).")
    int port;

    @Option(names = "--user", paramLabel = "USER", description = "The login user.")
    String user = "";

    @Option(names = "--group", paramLabel = "GROUP", description = "The inventory group.")
    String group = "";

    @Option(names = "--var", paramLabel = "KEY=VALUE", description = "A host variable; repeat for more.")
    List<String> vars;

    @Option(names = "--secret-var", paramLabel = "KEY=VALUE", description = "A secret host variable, stored encrypted"
        + " and printed as [secret] (needs the key: $INFRASTATE_PASSPHRASE or --key-file); repeat for more.")
    List<String> secretVars;

    Add(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      Map<String, Object> typed = Inputs.typed(vars, "--var");
      HostState.Builder builder = HostState.builder(name).address(address).port(port).user(user).group(group).vars(typed);
      Inputs.strings(secretVars, "--secret-var").forEach(builder::secretVar);
      HostState host = builder.build();
      boolean existed = state.hasHost(name);
      HostState stored = root.update(state, root.audit(""),
          tx -> tx.addHost(host.withGroup(GroupNames.apply(group, GroupNames.policy(tx::getResource)))))
          .getHost(name).orElseThrow();
      Edits.written(this, "host", name, state.metadata().serial(), existed ? "replaced" : "added", null,
          Output.host(stored, root.showSecrets()));
      if (existed) {
        Edits.noteReplaced(this, "host", name, "--var");
      }
      noteTransformed(this, group, stored.group());
      return InfrastateCli.OK;
    }
  }

  @Command(
      name = "set",
      description = {
        "Change the fields given of an existing host and keep the others; one write.",
        "Refused (exit 1) when the host does not exist, so that a mistyped name adds nothing; --create adds it.",
        "--var values are typed as for 'host add'; --unset-var removes a variable (an unknown one is refused).",
      })
  static final class Set extends Verb.OnState {
    @Parameters(paramLabel = "NAME", description = "The host name.")
    String name;

    @Option(names = "--address", paramLabel = "ADDR", description = "The address to connect to.")
    String address;

    @Option(names = "--port", paramLabel = "PORT", description = "The SSH port, 0..65535 (0: unset).")
    Integer port;

    @Option(names = "--user", paramLabel = "USER", description = "The login user.")
    String user;

    @Option(names = "--group", paramLabel = "GROUP", description = "The inventory group (empty: none).")
    String group;

    @Option(names = "--var", paramLabel = "KEY=VALUE", description = "Set a host variable; repeat for more.")
    List<String> vars;

    @Option(names = "--secret-var", paramLabel = "KEY=VALUE", description = "Set a secret host variable (needs the"
        + " key); repeat for more.")
    List<String> secretVars;

    @Option(names = "--unset-var", paramLabel = "KEY", description = "Remove a host variable; repeat for more.")
    List<String> unsetVars;

    @Option(names = "--create", description = "Add the host when it does not exist (default: refuse).")
    boolean create;

    Set(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      Map<String, Object> typed = Inputs.typed(vars, "--var");
      Map<String, String> secrets = Inputs.strings(secretVars, "--secret-var");
      List<String> unset = Edits.unset(unsetVars, "--unset-var", k -> "a value for " + k, typed, secrets);
      boolean[] existed = new boolean[1];
      String[] g = new String[1];
      Snapshot after = root.update(state, root.audit(""), tx -> {
        g[0] = group == null ? null : GroupNames.apply(group, GroupNames.policy(tx::getResource));
        Optional<HostState> old = tx.getHost(name);
        existed[0] = old.isPresent();
        if (old.isEmpty() && !create) {
          throw Edits.missing("host", name, state);
        }
        HostState base = old.orElseGet(() -> HostState.builder(name).build());
        Map<String, Object> merged = Edits.patch(base.vars(), unset, typed, "Host " + name + " has no variable");
        HostState.Builder b = HostState.builder(name)
            .address(address != null ? address : base.address())
            .port(port != null ? port : base.port())
            .user(user != null ? user : base.user())
            .group(g[0] != null ? g[0] : base.group());
        merged.forEach((k, v) -> {
          if (!secrets.containsKey(k)) {
            b.var(k, v);
          }
        });
        secrets.forEach(b::secretVar);
        tx.addHost(b.build());
      });
      HostState stored = after.getHost(name).orElseThrow();
      Edits.written(this, "host", name, after.metadata().serial(), existed[0] ? "updated" : "added", !existed[0],
          Output.host(stored, root.showSecrets()));
      noteTransformed(this, group, stored.group());
      return InfrastateCli.OK;
    }
  }

  /** Notes on stderr that the state's policy stored a group name transformed. */
  static void noteTransformed(Verb verb, String given, String stored) {
    if (given != null && !given.equals(stored)) {
      verb.err().println("infrastate: note: stored group '" + given + "' as '" + stored
          + "' (this state transforms group names Ansible rejects; see 'infrastate state show')");
    }
  }

  @Command(name = "rm", description = "Remove hosts, all in one write (or none if one is unknown).")
  static final class Rm extends Verb.OnState {
    @Parameters(paramLabel = "NAME", arity = "1..*", description = "Host names.")
    List<String> names;

    Rm(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      return Edits.remove(this, state, names, "host", Transaction::removeHost);
    }
  }

  @Command(name = "list", description = "List hosts in name order.")
  static final class ListVerb extends Verb.OnState {
    @Option(names = "--group", paramLabel = "GROUP", description = "Only the hosts of this group.")
    String group;

    ListVerb(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      List<HostState> hosts = state.allHosts().stream()
          .filter(h -> group == null || h.group().equals(group))
          .toList();
      if (json()) {
        out().println(Output.json(hosts.stream().map(h -> Output.host(h, root.showSecrets())).toList()));
        return InfrastateCli.OK;
      }
      noteIfAbsent(state);
      List<List<String>> rows = new ArrayList<>();
      for (HostState h : hosts) {
        rows.add(List.of(h.name(), h.address(), h.port() == 0 ? "" : Integer.toString(h.port()), h.user(),
            h.group(), Output.pairs(h.vars(), root.showSecrets())));
      }
      Output.table(out(), List.of("NAME", "ADDRESS", "PORT", "USER", "GROUP", "VARS"), rows);
      return InfrastateCli.OK;
    }
  }
}
