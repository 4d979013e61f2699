package io.infrastate.examples.cli;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.ExternalEdit;
import io.infrastate.StateOptions;
import io.infrastate.spi.Backend;
import io.infrastate.spi.ExternalEditBackend;
import java.util.Optional;
import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.model.StateDiff;
import io.infrastate.model.UnsupportedFormatVersionException;
import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code infrastate state …}: Terraform-like verbs on the whole state.
 *
 * <p>Each verb object is not thread-safe; picocli makes one per command line.
 */
@Command(
    name = "state",
    description = "Inspect and change the whole state: list, show, rm, mv, pull, push, history, rollback, diff,"
        + " accept-external, settings, encrypt, decrypt, rekey, rotate-data-key, migrate.",
    subcommands = {
      StateCommand.ListVerb.class,
      StateCommand.Show.class,
      StateCommand.Rm.class,
      StateCommand.Mv.class,
      StateCommand.Pull.class,
      StateCommand.Push.class,
      StateCommand.History.class,
      StateCommand.Rollback.class,
      StateCommand.Diff.class,
      StateCommand.AcceptExternal.class,
      StateSettings.class,
      EncryptionCommand.Encrypt.class,
      EncryptionCommand.Decrypt.class,
      EncryptionCommand.Rekey.class,
      EncryptionCommand.RotateDataKey.class,
      MigrateCommand.class,
    })
final class StateCommand {
  private StateCommand() {}

  @Command(name = "list", description = {
    "List every host and resource with its address (host.NAME, resource.KEY), or those that match every filter"
        + " given.",
    "PATTERN is a glob on the name or key, or on the address: 'web*', 'host.db?', 'resource.linode:*'."})
  static final class ListVerb extends Verb.OnState {
    @Parameters(paramLabel = "PATTERN", arity = "0..*", description = "Globs (* any text, ? one character);"
        + " an entry is listed when it matches one.")
    List<String> patterns;

    @Option(names = "--type", paramLabel = "TYPE", description = "Only this type: host, or a resource type.")
    String type;

    @Option(names = "--group", paramLabel = "GROUP", description = "Only the hosts of this group.")
    String group;

    @Option(names = "--tag", paramLabel = "KEY=VALUE", description = "Only the resources with this tag (KEY alone:"
        + " with this tag, any value); repeat to require more.")
    List<String> tags;

    ListVerb(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      Snapshot s = state.snapshot();
      Filter filter = new Filter(patterns, type, group, tags);
      Map<String, ResourceState> resources = new LinkedHashMap<>();
      s.resources().forEach((k, r) -> {
        if (!k.equals(GroupNames.KEY) && filter.resource(k, r)) {
          resources.put(k, r);
        }
      });
      List<HostState> hosts = s.allHosts().stream().filter(filter::host).toList();
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("serial", s.metadata().serial());
        m.put("lineage", stored(state) ? s.metadata().lineage() : "");
        m.put("hosts", hosts.stream().map(HostState::name).toList());
        m.put("resources", new ArrayList<>(resources.keySet()));
        out().println(Output.json(m));
        return InfrastateCli.OK;
      }
      noteIfAbsent(state);
      List<List<String>> rows = new ArrayList<>();
      for (HostState h : hosts) {
        rows.add(List.of(new Address(true, h.name()).toString(), "host", Output.time(h.updatedAt())));
      }
      resources.forEach((k, r) -> rows.add(List.of(new Address(false, k).toString(), r.type(), Output.time(r.updatedAt()))));
      Output.table(out(), List.of("ADDRESS", "TYPE", "UPDATED"), rows);
      out().println(count(hosts.size(), "host") + ", " + count(resources.size(), "resource")
          + " (serial " + s.metadata().serial() + ")");
      return InfrastateCli.OK;
    }
  }

  /** The filters of {@code state list}: every one given must match. */
  static final class Filter {
    private final List<java.util.regex.Pattern> globs;
    private final String type;
    private final String group;
    private final Map<String, String> tags;

    Filter(List<String> patterns, String type, String group, List<String> tags) {
      this.globs = patterns == null ? List.of() : patterns.stream().map(Filter::glob).toList();
      this.type = type;
      this.group = group;
      this.tags = new LinkedHashMap<>();
      if (tags != null) {
        for (String t : tags) {
          int eq = t.indexOf('=');
          if (eq == 0) {
            throw CliException.usage("Malformed --tag '" + t + "': expected KEY=VALUE or KEY, such as --tag env=prod");
          }
          this.tags.put(eq < 0 ? t : t.substring(0, eq), eq < 0 ? null : t.substring(eq + 1));
        }
      }
    }

    boolean host(HostState h) {
      return (type == null || type.equals("host")) && (group == null || h.group().equals(group)) && tags.isEmpty()
          && named(h.name(), new Address(true, h.name()).toString());
    }

    boolean resource(String key, ResourceState r) {
      if ((type != null && !type.equals(r.type())) || group != null) {
        return false;
      }
      for (Map.Entry<String, String> t : tags.entrySet()) {
        String v = r.tags().get(t.getKey());
        if (v == null || (t.getValue() != null && !t.getValue().equals(v))) {
          return false;
        }
      }
      return named(key, new Address(false, key).toString());
    }

    private boolean named(String name, String address) {
      return globs.isEmpty() || globs.stream().anyMatch(g -> g.matcher(name).matches() || g.matcher(address).matches());
    }

    /** A glob as a regular expression: {@code *} any text, {@code ?} one character, the rest literal. */
    static java.util.regex.Pattern glob(String glob) {
      StringBuilder re = new StringBuilder();
      StringBuilder literal = new StringBuilder();
      for (char c : glob.toCharArray()) {
        if (c == '*' || c == '?') {
          if (literal.length() > 0) {
            re.append(java.util.regex.Pattern.quote(literal.toString()));
            literal.setLength(0);
          }
          re.append(c == '*' ? ".*" : ".");
        } else {
          literal.append(c);
        }
      }
      if (literal.length() > 0) {
        re.append(java.util.regex.Pattern.quote(literal.toString()));
      }
      return java.util.regex.Pattern.compile(re.toString(), java.util.regex.Pattern.DOTALL);
    }
  }

  static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  @Command(name = "show", description = {
    "Show one host or resource, every field; without KEY, the state itself: location, serial, lineage, counts and"
        + " settings (the group-name policy)."})
  static final class Show extends Verb.OnState {
    @Parameters(paramLabel = "KEY", arity = "0..1",
        description = "A host name or resource key; host.NAME or resource.KEY to be explicit.")
    String key;

    @Option(names = "--serial", paramLabel = "N", description = "Show it as it was in version N (see 'state history').")
    Long serial;

    Show(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      Snapshot s = version(state, serial);
      if (key == null) {
        return summary(this, state, s);
      }
      Address a = Address.existing(key, s::hasHost, s::hasResource, state.location());
      if (a.host()) {
        HostState h = s.getHost(a.key()).orElseThrow();
        if (json()) {
          out().println(Output.json(Output.host(h, root.showSecrets())));
          return InfrastateCli.OK;
        }
        out().println(a);
        Output.table(out(), List.of("  address", h.address()), List.of(
            List.of("  port", Integer.toString(h.port())),
            List.of("  user", h.user()),
            List.of("  group", h.group()),
            List.of("  vars", Output.pairs(h.vars(), root.showSecrets())),
            List.of("  created_at", Output.time(h.createdAt())),
            List.of("  updated_at", Output.time(h.updatedAt()))));
      } else {
        ResourceState r = s.getResource(a.key()).orElseThrow();
        if (json()) {
          out().println(Output.json(Output.resource(a.key(), r, root.showSecrets())));
          return InfrastateCli.OK;
        }
        out().println(a);
        Output.table(out(), List.of("  type", r.type()), List.of(
            List.of("  id", r.id()),
            List.of("  name", r.name()),
            List.of("  data", Output.pairs(r.data(), root.showSecrets())),
            List.of("  tags", Output.pairs(r.tags())),
            List.of("  created_at", Output.time(r.createdAt())),
            List.of("  updated_at", Output.time(r.updatedAt()))));
      }
      return InfrastateCli.OK;
    }
  }

  /** {@code state show} without a key: what the state is, and its settings. */
  private static int summary(Verb.OnState verb, State state, Snapshot s) {
    String policy = GroupNames.name(GroupNames.policy(s::getResource));
    int resources = (int) s.resources().keySet().stream().filter(k -> !k.equals(GroupNames.KEY)).count();
    if (verb.json()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("location", state.location());
      m.put("serial", s.metadata().serial());
      m.put("lineage", Verb.OnState.stored(state) ? s.metadata().lineage() : "");
      m.put("hosts", s.hosts().size());
      m.put("resources", resources);
      m.put("group_names", policy);
      verb.out().println(Output.json(m));
      return InfrastateCli.OK;
    }
    verb.noteIfAbsent(state);
    Output.table(verb.out(), List.of("location", state.location()), List.of(
        List.of("serial", Long.toString(s.metadata().serial())),
        List.of("lineage", Verb.OnState.stored(state) ? s.metadata().lineage() : ""),
        List.of("hosts", Integer.toString(s.hosts().size())),
        List.of("resources", Integer.toString(resources)),
        List.of("group-names", policy)));
    return InfrastateCli.OK;
  }

  @Command(name = "rm", description = "Remove hosts and resources from the state, all in one write (or none if one is unknown).")
  static final class Rm extends Verb.OnState {
    @Parameters(paramLabel = "KEY", arity = "1..*", description = "Host names or resource keys (host.NAME, resource.KEY to be explicit).")
    List<String> keys;

    @Option(names = "--dry-run", description = "Check and print what would be removed; write nothing.")
    boolean dryRun;

    Rm(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      if (dryRun) {
        Snapshot s = state.snapshot();
        List<String> would = new ArrayList<>();
        for (String k : new LinkedHashSet<>(keys)) {
          would.add(Address.existing(k, s::hasHost, s::hasResource, state.location()).toString());
        }
        dryRun(this, "would_remove", would, s.metadata().serial(), "would remove ");
        return InfrastateCli.OK;
      }
      List<Address> removed = new ArrayList<>();
      Snapshot after = root.update(state, root.audit(""), tx -> {
        removed.clear();
        for (String k : new LinkedHashSet<>(keys)) {
          Address a = Address.existing(k, tx::hasHost, tx::hasResource, state.location());
          if (a.host()) {
            tx.removeHost(a.key());
          } else {
            tx.removeResource(a.key());
          }
          removed.add(a);
        }
      });
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("removed", removed.stream().map(Address::toString).toList());
        m.put("serial", after.metadata().serial());
        out().println(Output.json(m));
      } else {
        removed.forEach(a -> out().println("removed " + a));
        out().println("serial " + after.metadata().serial());
      }
      return InfrastateCli.OK;
    }
  }

  /** Prints what a {@code --dry-run} would do; nothing was written. */
  static void dryRun(Verb verb, String field, List<String> what, long serial, String verbText) {
    if (verb.json()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put(field, what);
      m.put("serial", serial);
      m.put("dry_run", true);
      verb.out().println(Output.json(m));
    } else {
      what.forEach(w -> verb.out().println(verbText + w));
      verb.out().println("dry run: nothing was written (serial " + serial + ")");
    }
  }

  @Command(name = "mv", description = "Rename a host or move a resource to another key, in one write.")
  static final class Mv extends Verb.OnState {
    @Parameters(index = "0", paramLabel = "SRC", description = "The host name or resource key to move.")
    String src;

    @Parameters(index = "1", paramLabel = "DST", description = "The new name or key (it must be free).")
    String dst;

    @Option(names = "--dry-run", description = "Check and print the move; write nothing.")
    boolean dryRun;

    Mv(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      Snapshot before = state.snapshot();
      Address from0 = Address.existing(src, before::hasHost, before::hasResource, state.location());
      Address to0 = Address.target(from0, dst);
      if (dryRun) {
        if (from0.host() ? before.hasHost(to0.key()) : before.hasResource(to0.key())) {
          throw CliException.error("Cannot move " + from0 + " to " + to0 + ": " + to0 + " exists; remove it first");
        }
        dryRun(this, "would_move", List.of(from0 + " to " + to0), before.metadata().serial(), "would move ");
        return InfrastateCli.OK;
      }
      Snapshot after = root.update(state, root.audit("move " + from0 + " to " + to0), tx -> {
        Address from = Address.existing(src, tx::hasHost, tx::hasResource, state.location());
        Address to = Address.target(from, dst);
        if (from.host()) {
          if (tx.hasHost(to.key())) {
            throw CliException.error("Cannot move " + from + " to " + to + ": " + to + " exists; remove it first");
          }
          HostState h = tx.getHost(from.key()).orElseThrow();
          Root.requireKeyToMove(h.vars(), from);
          tx.removeHost(from.key());
          tx.addHost(new HostState(to.key(), h.address(), h.port(), h.user(), h.vars(), h.group(), null, null));
        } else {
          if (tx.hasResource(to.key())) {
            throw CliException.error("Cannot move " + from + " to " + to + ": " + to + " exists; remove it first");
          }
          ResourceState r = tx.getResource(from.key()).orElseThrow();
          Root.requireKeyToMove(r.data(), from);
          tx.removeResource(from.key());
          tx.addResource(to.key(), r);
        }
      });
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("moved", from0.toString());
        m.put("to", to0.toString());
        m.put("serial", after.metadata().serial());
        out().println(Output.json(m));
      } else {
        out().println("moved " + from0 + " to " + to0 + " (serial " + after.metadata().serial() + ")");
      }
      return InfrastateCli.OK;
    }
  }

  /** The current snapshot, or version {@code serial} of the history when given. */
  static Snapshot version(State state, Long serial) {
    if (serial == null || serial == state.metadata().serial()) {
      return state.snapshot();
    }
    return state.at(serial).orElseThrow(() -> CliException.error(
        "Version " + serial + " is not in the history of " + state.location() + "; see 'infrastate state history'"));
  }

  @Command(name = "pull", description = "Print the stored state.json (with --serial N, version N of it).")
  static final class Pull extends Verb.OnState {
    @Option(names = "--serial", paramLabel = "N", description = "Print version N (see 'state history').")
    Long serial;

    Pull(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      if (!stored(state)) {
        throw CliException.error("No state is stored at " + state.location() + " yet; nothing to pull");
      }
      out().print(new String(StateCodec.encode(version(state, serial)), StandardCharsets.UTF_8));
      return InfrastateCli.OK;
    }
  }

  @Command(
      name = "push",
      description = {
        "Store the content of a state.json file (such as an edited 'state pull') as a new version.",
        "Refused (exit 3) when the file has another lineage or an older serial than the stored state (somebody"
            + " wrote since it was pulled), unless --force. Only the hosts and resources that differ are"
            + " written (they get new timestamps); the state keeps its lineage and its serial grows by one."
            + " The check and the write are one compare-and-swap: a concurrent write is never overwritten.",
      })
  static final class Push extends Verb.OnState {
    @Parameters(paramLabel = "FILE", description = "A state.json file, such as one made by 'state pull'.")
    Path file;

    @Option(names = "--force", description = "Push even if the lineage differs or the serial is older.")
    boolean force;

    Push(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      Snapshot pushed = read(file);
      int[] changes = new int[1];
      Snapshot written = root.update(state, root.audit("push " + file.getFileName()), tx -> {
        changes[0] = 0;
        Metadata have = tx.metadata();
        boolean exists = have.serial() > 0 || !tx.allHosts().isEmpty() || !tx.allResources().isEmpty();
        if (exists && !force) {
          check(pushed.metadata(), have, state.location());
        }
        for (HostState h : new ArrayList<>(tx.allHosts())) {
          if (!pushed.hasHost(h.name())) {
            tx.removeHost(h.name());
            changes[0]++;
          }
        }
        for (String k : new ArrayList<>(tx.allResources().keySet())) {
          if (!pushed.hasResource(k)) {
            tx.removeResource(k);
            changes[0]++;
          }
        }
        for (HostState h : pushed.allHosts()) {
          if (!tx.getHost(h.name()).map(old -> unstamped(old).equals(unstamped(h))).orElse(false)) {
            tx.addHost(h);
            changes[0]++;
          }
        }
        pushed.resources().forEach((k, r) -> {
          if (!tx.getResource(k).map(old -> unstamped(old).equals(unstamped(r))).orElse(false)) {
            tx.addResource(k, r);
            changes[0]++;
          }
        });
      });
      String text = changes[0] == 0
          ? "nothing to push: " + file + " has the content of serial " + written.metadata().serial()
          : "pushed " + file + " as serial " + written.metadata().serial() + " (" + count(changes[0], "change") + ")";
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("changes", changes[0]);
        m.put("serial", written.metadata().serial());
        out().println(Output.json(m));
      } else {
        out().println(text);
      }
      return InfrastateCli.OK;
    }

    private void check(Metadata got, Metadata have, String location) {
      if (got.hasLineage() && !got.lineage().equals(have.lineage())) {
        throw new CliException(InfrastateCli.CONFLICT,
            file + " has lineage " + got.lineage() + " but " + location + " has lineage " + have.lineage()
                + ": it is another state. Nothing was pushed; use --force to store its content as a new"
                + " version of this state anyway");
      }
      if (got.serial() < have.serial()) {
        throw new CliException(InfrastateCli.CONFLICT,
            file + " has serial " + got.serial() + ", older than the stored serial " + have.serial()
                + ": the state changed since it was pulled. Nothing was pushed; pull again and re-apply"
                + " your edit, or use --force");
      }
    }

    private static HostState unstamped(HostState h) {
      return h.withTimestamps(HostState.UNSET_TIME, HostState.UNSET_TIME);
    }

    private static ResourceState unstamped(ResourceState r) {
      return r.withTimestamps(HostState.UNSET_TIME, HostState.UNSET_TIME);
    }
  }

  /** Reads and checks a state.json file given on the command line. */
  static Snapshot read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw CliException.error("Cannot read " + file + ": " + Inputs.problem(e));
    }
    try {
      return StateCodec.decode(bytes, file.toString(), "");
    } catch (CorruptStateException | UnsupportedFormatVersionException e) {
      throw CliException.error(InfrastateCli.oneLine(e.getMessage()) + "; nothing was changed");
    }
  }

  /** The locks a version was written under, as {@code deploy (token 7)}. */
  static String lockList(VersionInfo v) {
    List<String> parts = new ArrayList<>();
    v.locks().forEach((name, token) -> parts.add(name + " (token " + token + ")"));
    return String.join(", ", parts);
  }

  @Command(name = "history", description = "List the stored versions, newest first: serial, time, operator, what and"
      + " why, and the lock a write was made under (--lock).")
  static final class History extends Verb.OnState {
    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most N versions (default: ${DEFAULT-VALUE}).")
    int limit;

    History(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      if (limit < 1) {
        throw CliException.usage("--limit must be at least 1, got " + limit);
      }
      List<VersionInfo> versions = state.history(limit);
      if (json()) {
        out().println(Output.json(versions.stream().map(Output::version).toList()));
        return InfrastateCli.OK;
      }
      noteIfAbsent(state);
      List<List<String>> rows = new ArrayList<>();
      for (VersionInfo v : versions) {
        String under = v.locks().isEmpty() ? "" : " [under lock " + lockList(v) + "]";
        rows.add(List.of(Long.toString(v.serial()), Output.time(v.time()), v.operator(), v.message() + under));
      }
      Output.table(out(), List.of("SERIAL", "TIME", "OPERATOR", "MESSAGE"), rows);
      return InfrastateCli.OK;
    }
  }

  @Command(name = "rollback", description = "Write an earlier version as a new version (history is never rewritten).")
  static final class Rollback extends Verb.OnState {
    @Parameters(paramLabel = "VERSION", description = "The serial to return to (see 'state history').")
    long version;

    Rollback(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      if (state.at(version).isEmpty()) {
        throw CliException.error(
            "Version " + version + " is not in the history of " + state.location() + "; see 'infrastate state history'");
      }
      Snapshot s = root.rollback(state, version, root.audit(""));
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rolled_back_to", version);
        m.put("serial", s.metadata().serial());
        out().println(Output.json(m));
      } else {
        out().println("rolled back to version " + version + " as serial " + s.metadata().serial());
      }
      return InfrastateCli.OK;
    }
  }

  @Command(
      name = "diff",
      description = {
        "Show what changed between two versions, field by field (timestamps aside).",
        "A and B are serials from 'state history', 'current', or state.json files (such as observed state,"
            + " for drift detection).",
        "With --exit-code it exits 0 when they are the same, 2 when they differ and 1 on any failure.",
      })
  static final class Diff extends Verb.OnState {
    @Option(names = "--exit-code", description = "Exit 0 if A and B are the same, 2 if they differ, 1 on any failure"
        + " (as 'git diff --exit-code').")
    boolean exitCode;

    @Parameters(index = "0", paramLabel = "A", description = "The older side: a serial, 'current' or a file.")
    String a;

    @Parameters(index = "1", paramLabel = "B", description = "The newer side: a serial, 'current' or a file.")
    String b;

    Diff(Root root) {
      super(root);
    }

    @Override
    int run(State state) {
      StateDiff d = StateDiff.between(version(state, a), version(state, b));
      if (json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("from", a);
        m.put("to", b);
        m.putAll(Output.diff(d));
        out().println(Output.json(m));
      } else if (d.isEmpty()) {
        out().println("no differences");
      } else {
        out().println(d);
      }
      return exitCode && !d.isEmpty() ? InfrastateCli.DIFFERENT : InfrastateCli.OK;
    }

    private static Snapshot version(State state, String spec) {
      if (spec.equals("current") || spec.equals("latest")) {
        return state.snapshot();
      }
      if (spec.matches("\\d{1,18}")) {
        long serial = Long.parseLong(spec);
        if (serial == state.metadata().serial()) {
          return state.snapshot();
        }
        return state.at(serial).orElseThrow(() -> CliException.error(
            "Version " + serial + " is not in the history of " + state.location() + "; see 'infrastate state history'"));
      }
      Path p = Path.of(spec);
      if (!Files.isRegularFile(p)) {
        throw CliException.usage("'" + spec + "' is neither a version number, 'current', nor a state.json file");
      }
      return read(p);
    }
  }

  @Command(
      name = "accept-external",
      description = {
        "Record the change another tool made to the stored state (a jq script, a Go-FTL2 program, an editor) as a"
            + " version of its own, attributed to 'external', with who accepted it in its reason.",
        "Where external edits are refused (external=refuse on the state URI), writes fail (exit 3) until the edit is"
            + " accepted or the version it replaced is restored. Prints the version recorded, or that there was no"
            + " external edit. With --dry-run, only prints the edit.",
      })
  static final class AcceptExternal extends Verb {
    @Option(names = "--dry-run", description = "Print the external edit, record nothing.")
    boolean dryRun;

    AcceptExternal(Root root) {
      super(root);
    }

    @Override
    public Integer call() {
      try (Root.Selected selected = root.select(); Backend backend = selected.store().backend()) {
        if (!(backend instanceof ExternalEditBackend b)) {
          throw CliException.error("The backend of " + backend.location() + " does not tell external edits apart;"
              + " nothing to accept");
        }
        Optional<ExternalEdit> edit = b.externalEdit();
        Map<String, Object> m = new LinkedHashMap<>();
        if (edit.isEmpty()) {
          m.put("external_edit", false);
          print(m, "No external edit at " + backend.location() + "; nothing to accept");
          return InfrastateCli.OK;
        }
        m.put("external_edit", true);
        m.put("replaced_serial", edit.get().replacedSerial());
        m.put("description", edit.get().description());
        if (dryRun) {
          m.put("serial", edit.get().serial());
          print(m, edit.get().description());
          return InfrastateCli.OK;
        }
        String operator = root.operator != null && !root.operator.isBlank() ? root.operator : StateOptions.defaults().operator();
        Optional<VersionInfo> v = b.acceptExternalEdit(new AuditEntry(operator, "accept external edit", root.reason));
        if (v.isEmpty()) {
          m.put("external_edit", false);
          print(m, "No external edit at " + backend.location() + " any more; nothing to accept");
          return InfrastateCli.OK;
        }
        m.put("serial", v.get().serial());
        print(m, "Recorded the external edit of " + backend.location() + " as version " + v.get().serial() + ": "
            + v.get().reason());
        return InfrastateCli.OK;
      }
    }

    private void print(Map<String, Object> m, String text) {
      out().println(json() ? Output.json(m) : text);
    }
  }
}
