package io.infrastate.examples.cli;

import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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
      long serial = state.metadata().serial();
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("serial", serial);
        m.put("host", Output.host(stored, root.showSecrets()));
        out().println(Output.json(m));
      } else {
        out().println((existed ? "replaced" : "added") + " host " + name + " (serial " + serial + ")");
        if (existed) {
          err().println("infrastate: note: 'host add' replaced every field of " + name + "; 'host set " + name
              + " --var K=V' changes only the fields given");
        }
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
      List<String> unset = unsetVars == null ? List.of() : unsetVars;
      for (String k : unset) {
        if (typed.containsKey(k) || secrets.containsKey(k)) {
          throw CliException.usage("--unset-var " + k + " and a value for " + k + " are both given; give one");
        }
      }
      boolean[] existed = new boolean[1];
      String[] g = new String[1];
      Snapshot after = root.update(state, root.audit(""), tx -> {
        g[0] = group == null ? null : GroupNames.apply(group, GroupNames.policy(tx::getResource));
        Optional<HostState> old = tx.getHost(name);
        existed[0] = old.isPresent();
        if (old.isEmpty() && !create) {
          throw CliException.error("No host '" + name + "' in " + state.location() + "; nothing was written. Use"
              + " 'host set " + name + " --create …' to add it, or see 'infrastate host list'");
        }
        HostState base = old.orElseGet(() -> HostState.builder(name).build());
        Map<String, Object> merged = new LinkedHashMap<>(base.vars());
        for (String k : unset) {
          if (merged.remove(k) == null && !base.vars().containsKey(k)) {
            throw CliException.error("Host " + name + " has no variable '" + k + "' to unset; nothing was written");
          }
        }
        merged.putAll(typed);
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
      long serial = after.metadata().serial();
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("serial", serial);
        m.put("created", !existed[0]);
        m.put("host", Output.host(stored, root.showSecrets()));
        out().println(Output.json(m));
      } else {
        out().println((existed[0] ? "updated" : "added") + " host " + name + " (serial " + serial + ")");
      }
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
      Snapshot after = root.update(state, root.audit(""), tx -> {
        for (String n : new LinkedHashSet<>(names)) {
          if (!tx.removeHost(n)) {
            throw CliException.error(
                "No host '" + n + "' in " + state.location() + "; nothing was removed. See 'infrastate host list'");
          }
        }
      });
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("removed", new ArrayList<>(new LinkedHashSet<>(names)));
        m.put("serial", after.metadata().serial());
        out().println(Output.json(m));
      } else {
        new LinkedHashSet<>(names).forEach(n -> out().println("removed host " + n));
        out().println("serial " + after.metadata().serial());
      }
      return InfrastateCli.OK;
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
