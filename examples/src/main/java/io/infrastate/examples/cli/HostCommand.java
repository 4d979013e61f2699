package io.infrastate.examples.cli;

import io.infrastate.HostState;
import io.infrastate.Snapshot;
import io.infrastate.State;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
    description = "Add, remove and list hosts.",
    subcommands = {HostCommand.Add.class, HostCommand.Rm.class, HostCommand.ListVerb.class})
final class HostCommand {
  private HostCommand() {}

  @Command(
      name = "add",
      description = {
        "Add a host, or replace every field of an existing one (its created_at is kept); one write.",
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
      HostState stored = root.update(state, root.audit(""), tx -> tx.addHost(host)).getHost(name).orElseThrow();
      long serial = state.metadata().serial();
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("serial", serial);
        m.put("host", Output.host(stored, root.showSecrets()));
        out().println(Output.json(m));
      } else {
        out().println((existed ? "updated" : "added") + " host " + name + " (serial " + serial + ")");
      }
      return InfrastateCli.OK;
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
