package io.infrastate.examples.cli;

import io.infrastate.model.AuditEntry;
import io.infrastate.Infrastate;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateStore;
import io.infrastate.StateOptions;
import io.infrastate.Transaction;
import io.infrastate.crypto.KeySource;
import io.infrastate.crypto.KeyParameter;
import io.infrastate.crypto.Keyring;
import io.infrastate.model.MissingKeyException;
import io.infrastate.model.Secret;
import io.infrastate.lock.AbstractLockProvider;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockListener;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.lock.LockRequest;
import io.infrastate.spi.Backend;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code infrastate} command: the global options and what every verb needs from them (the
 * state URI, the audit entry, the output mode, the lock provider). Not thread-safe; one per command
 * line.
 */
@Command(
    name = "infrastate",
    scope = ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = Root.Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Records what infrastructure automation created (hosts, resources) in a state that is safe to"
          + " share between processes and machines: a file, a Git repository or an S3 bucket.",
    },
    footerHeading = "%n",
    footer = {
      "The state is --state URI or $INFRASTATE_STATE: a path (state.json) or a URI such as"
          + " file:///srv/state.json, git+file:///srv/infra.git#main:state.json or"
          + " s3://bucket/state.json?region=eu-west-1 or postgresql://host/db?state=prod. Locks live beside"
          + " the state: <state file>.locks/, KEY.infrastate/locks/ in the bucket, refs/infrastate/locks/ in"
          + " the repository, or the schema's locks table. --workspace NAME or $INFRASTATE_WORKSPACE selects"
          + " another state of the same home (see 'workspace --help').",
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:the operation failed (unknown key, validation veto, storage error, no key or a wrong key for secret values)",
      "2:bad command line (unknown option, malformed KEY=VALUE, unknown URI scheme); for 'state diff"
          + " --exit-code': the states differ (any failure then exits 1)",
      "3:conflict (other writers kept winning; state push refused an older serial or another lineage)",
      "4:the lock is held by somebody else, or a write under --lock was refused because the lock was lost",
      "5:the stored state is damaged, of another lineage or of a newer format, or a secret value was tampered with"
          + " (nothing was written)",
    })
final class Root implements Callable<Integer> {
  /**
   * The top-level commands, in the order the usage help lists them. Registered by {@link
   * CommandTree} rather than through the annotation's {@code subcommands}, so that a command line
   * naming one of them builds only that one.
   */
  static final List<Class<?>> COMMANDS = List.of(
      StateCommand.class,
      WorkspaceCommand.class,
      HostCommand.class,
      ResourceCommand.class,
      LockCommand.class,
      LockCommand.ForceUnlock.class,
      InventoryCommand.class,
      Root.VersionCommand.class,
      CompletionCommand.class,
      InstallLauncher.class,
      CommandLine.HelpCommand.class);

  /** The environment variable naming the workspace when {@code --workspace} is not given. */
  static final String WORKSPACE_ENV = "INFRASTATE_WORKSPACE";

  private final Map<String, String> env;

  @Spec CommandSpec spec;

  @Option(
      names = "--state",
      paramLabel = "URI",
      scope = ScopeType.INHERIT,
      description = "The state: a path or a URI such as file:///srv/state.json (default: $INFRASTATE_STATE).")
  String state;

  @Option(
      names = "--workspace",
      paramLabel = "NAME",
      scope = ScopeType.INHERIT,
      description = "The workspace of the state's home to work on (default: $INFRASTATE_WORKSPACE, else 'default':"
          + " the state the URI names). See 'workspace list'.")
  String workspace;

  @Option(
      names = "--operator",
      paramLabel = "NAME",
      scope = ScopeType.INHERIT,
      description = "Who makes the change, recorded in the history and in locks (default: user@hostname).")
  String operator;

  @Option(
      names = "--reason",
      paramLabel = "TEXT",
      scope = ScopeType.INHERIT,
      description = "Why, recorded with every write and lock.")
  String reason;

  @Option(
      names = "--lock",
      paramLabel = "NAME=ID",
      scope = ScopeType.INHERIT,
      description = "Make the write under this lock (ID is what 'lock acquire' printed). It records the lock's"
          + " fencing token in the state, and is refused with exit 4, writing nothing, if the lock is no longer"
          + " held by ID or a later holder of it wrote.")
  String lock;

  @Option(
      names = "--key-file",
      paramLabel = "PATH",
      scope = ScopeType.INHERIT,
      description = "A file holding the state's 256-bit key (32 raw bytes or their base64) for secret values;"
          + " with $INFRASTATE_PASSPHRASE set, either one opens the state.")
  Path keyFile;

  @Option(
      names = "--key-command",
      paramLabel = "CMD",
      scope = ScopeType.INHERIT,
      description = "A command (split at spaces, no shell) that prints the state's key, as OpenTofu's external key"
          + " provider.")
  String keyCommand;

  @Option(
      names = "--show-secrets",
      scope = ScopeType.INHERIT,
      description = "Print secret values in clear (needs the key: $INFRASTATE_PASSPHRASE, --key-file or"
          + " --key-command); without it they print as [secret].")
  boolean showSecrets;

  @Option(
      names = "--json",
      scope = ScopeType.INHERIT,
      description = "Print stable, machine-readable JSON instead of tables.")
  boolean json;

  Root(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return InfrastateCli.USAGE;
  }

  /** The state URI from {@code --state} or the environment. */
  String stateUri() {
    String uri = state != null ? state : env.get(InfrastateCli.STATE_ENV);
    if (uri == null || uri.isBlank()) {
      throw CliException.usage(
          "No state given: use --state PATH_OR_URI (such as --state state.json) or set "
              + InfrastateCli.STATE_ENV);
    }
    return uri;
  }

  /** Opens the state; the caller closes it. */
  State open() {
    return openHandle().state();
  }

  /** The workspace from {@code --workspace} or the environment, else the default. */
  String workspaceName() {
    String name = workspace != null ? workspace : env.get(WORKSPACE_ENV);
    return name == null || name.isBlank() ? StateStore.DEFAULT_WORKSPACE : name;
  }

  /**
   * Resolves the state URI ({@link Infrastate#at(String)}) and selects the workspace; closing the
   * result closes the home's connections.
   */
  Selected select() {
    StateStore home = Infrastate.at(backendUri());
    try {
      return new Selected(home, home.workspace(workspaceName()));
    } catch (RuntimeException e) {
      home.close();
      throw e;
    }
  }

  /** The selected workspace's store and the home store that owns its connections. */
  record Selected(StateStore home, StateStore store) implements AutoCloseable {
    @Override
    public void close() {
      home.close();
    }
  }

  /**
   * Opens the selected workspace's state, through the keyring when a key is given ({@value
   * #PASSPHRASE_ENV}, {@code --key-file}, {@code --key-command}); closing the handle closes all.
   */
  Handle openHandle() {
    StateOptions.Builder options = StateOptions.builder();
    if (operator != null && !operator.isBlank()) {
      options.operator(operator);
    }
    Optional<Keyring> keys = keyring();
    Selected selected = select();
    try {
      if (keys.isEmpty()) {
        return new Handle(selected.store().open(options.build()), null, selected);
      }
      Backend backend = keys.get().protect(selected.store().backend());
      try {
        return new Handle(State.load(backend, options.build()), backend, selected);
      } catch (RuntimeException e) {
        backend.close();
        throw e;
      }
    } catch (RuntimeException e) {
      selected.close();
      throw e;
    }
  }

  /** A variable of the environment the CLI runs in, or null. */
  String env(String name) {
    return env.get(name);
  }

  /** The environment variable holding the passphrase of a state's secret values. */
  static final String PASSPHRASE_ENV = "INFRASTATE_PASSPHRASE";

  /** The keys given: the passphrase from the environment, the key file, the key command. */
  Optional<Keyring> keyring() {
    List<KeySource> sources = new ArrayList<>();
    String passphrase = env.get(PASSPHRASE_ENV);
    if (passphrase != null && !passphrase.isEmpty()) {
      sources.add(KeySource.passphrase(passphrase.toCharArray()));
    }
    if (keyFile != null) {
      sources.add(KeySource.keyFile(keyFile));
    }
    if (keyCommand != null && !keyCommand.isBlank()) {
      sources.add(KeySource.command(Arrays.asList(keyCommand.strip().split("\\s+"))));
    }
    KeyParameter.Split named = KeyParameter.split(stateUri(), env::get);
    if (named != null) {
      named.keyring().sources().stream().filter(k -> !sources.contains(k)).forEach(sources::add);
    }
    return sources.isEmpty() ? Optional.empty() : Optional.of(Keyring.of(sources));
  }

  /** The state URI without the key parameters ({@link KeyParameter}), which {@link #keyring} reads. */
  String backendUri() {
    KeyParameter.Split named = KeyParameter.split(stateUri(), env::get);
    return named == null ? stateUri() : named.uri().toString();
  }

  /**
   * Refuses to move an entry whose secrets this handle cannot open: a sealed value is bound to its
   * place, so only a handle with the key can seal it anew for the new one.
   */
  static void requireKeyToMove(Map<String, Object> values, Object what) {
    for (Object v : values.values()) {
      if (v instanceof Secret s && !s.canReveal()) {
        throw new MissingKeyException("Cannot move " + what + " without the key: its secret values are sealed for"
            + " their place and must be sealed anew for the new one. Set INFRASTATE_PASSPHRASE or give --key-file"
            + " PATH; nothing was written.", "");
      }
    }
  }

  /** Whether {@code --show-secrets} was given. */
  boolean showSecrets() {
    return showSecrets;
  }

  /** An open state, the keyed backend under it if any, and its home: closing closes all. */
  record Handle(State state, Backend backend, Selected selected) implements AutoCloseable {
    @Override
    public void close() {
      try {
        state.close();
      } finally {
        try {
          if (backend != null) {
            backend.close();
          }
        } finally {
          selected.close();
        }
      }
    }
  }

  /** The audit entry for a write: operator and reason from the options, the operation given. */
  AuditEntry audit(String operation) {
    return new AuditEntry(operator, operation, reason);
  }

  /**
   * Writes through {@link State#update(AuditEntry, Consumer)}, or under the {@code --lock} lock
   * through {@link State#update(Lock, AuditEntry, Consumer)} when one was given.
   */
  Snapshot update(State state, AuditEntry audit, Consumer<Transaction> fn) {
    return lock == null ? state.update(audit, fn) : underLock(l -> state.update(l, audit, fn));
  }

  /** Rolls back, under the {@code --lock} lock when one was given. */
  Snapshot rollback(State state, long version, AuditEntry audit) {
    return lock == null ? state.rollback(version, audit) : underLock(l -> state.rollback(l, version, audit));
  }

  /**
   * Runs a write under the lock {@code --lock NAME=ID} names: a handle on the lock a previous
   * command acquired, by its id.
   */
  private Snapshot underLock(Function<Lock, Snapshot> write) {
    int eq = lock.lastIndexOf('=');
    if (eq <= 0 || eq == lock.length() - 1) {
      throw CliException.usage("--lock '" + lock + "' is not NAME=ID, such as --lock deploy=lock_3f2a…;"
          + " ID is what 'infrastate lock acquire NAME' printed");
    }
    String name = lock.substring(0, eq);
    String id = lock.substring(eq + 1);
    try (LockProvider locks = locks(false)) {
      Optional<Lock> held = attach(locks, name, id);
      if (held.isEmpty()) {
        throw new CliException(InfrastateCli.LOCK_HELD, "Lock '" + name + "' is not held by lock id " + id + " at "
            + locks.location() + " (" + locks.inspect(name).map(h -> "it is held by " + h.describe()).orElse("it is free")
            + "); nothing was written. Acquire it again with 'infrastate lock acquire " + name + "' and check the"
            + " state before writing");
      }
      return write.apply(held.get());
    }
  }

  private static Optional<Lock> attach(LockProvider locks, String name, String id) {
    if (locks instanceof Closing c) {
      return attach(c.locks, name, id);
    }
    if (locks instanceof AbstractLockProvider a) {
      return a.attach(name, id);
    }
    throw CliException.usage("--lock is not available for the locks at " + locks.location());
  }

  /** The reason given, or empty. */
  String reason() {
    return reason == null ? "" : reason;
  }

  /**
   * The lock provider beside the selected workspace's state ({@link StateStore#locks(LockOptions)}):
   * for a file state the directory {@code <state file>.locks/}, for {@code s3://} objects beside the
   * state ({@code KEY.infrastate/locks/}), for {@code postgresql://} rows of the schema's {@code
   * locks} table, for {@code git+} refs under {@code refs/infrastate/locks/} of its repository (a
   * workspace's under {@code refs/infrastate/workspaces/NAME/locks/}). Takeovers of stale locks and
   * force-unlocks are recorded in the state's history (when the state exists) and noted on standard
   * error.
   */
  LockProvider locks() {
    return locks(true);
  }

  /** The lock provider; {@code record} says whether to record takeovers and force-unlocks. */
  LockProvider locks(boolean record) {
    LockOptions.Builder builder = LockOptions.builder().listener(record ? new Recorder() : LockListener.NONE);
    if (operator != null && !operator.isBlank()) {
      builder.operator(operator);
    }
    Selected selected = select();
    try {
      return new Closing(selected.store().locks(builder.build()), selected);
    } catch (RuntimeException e) {
      selected.close();
      throw e;
    }
  }

  /** A lock provider that also closes the backend it came from. */
  private static final class Closing implements LockProvider {
    private final LockProvider locks;
    private final AutoCloseable owner;

    Closing(LockProvider locks, AutoCloseable owner) {
      this.locks = locks;
      this.owner = owner;
    }

    @Override
    public Lock acquire(String name, LockRequest request, Duration timeout) {
      return locks.acquire(name, request, timeout);
    }

    @Override
    public Optional<Lock> tryAcquire(String name, LockRequest request) {
      return locks.tryAcquire(name, request);
    }

    @Override
    public Optional<LockInfo> inspect(String name) {
      return locks.inspect(name);
    }

    @Override
    public java.util.List<LockInfo> list() {
      return locks.list();
    }

    @Override
    public boolean forceUnlock(String name, String lockId) {
      return locks.forceUnlock(name, lockId);
    }

    @Override
    public String location() {
      return locks.location();
    }

    @Override
    public void close() {
      try {
        locks.close();
      } finally {
        try {
          owner.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing " + locks.location() + ": " + e, e);
        }
      }
    }
  }

  /** Records lock takeovers and force-unlocks in the state's history, and notes them on stderr. */
  private final class Recorder implements LockListener {
    @Override
    public void onTakeover(LockInfo previous, LockInfo next) {
      spec.commandLine().getErr().println(
          "infrastate: took over the stale lock '" + previous.name() + "' of " + previous.describe());
      record(l -> l.onTakeover(previous, next));
    }

    @Override
    public void onForceUnlock(LockInfo removed, String by) {
      record(l -> l.onForceUnlock(removed, by));
    }

    private void record(java.util.function.Consumer<LockListener> event) {
      try (Handle h = openHandle()) {
        if (h.state().metadata().serial() > 0) {
          event.accept(LockListener.recordingTo(h.state()::save));
        }
      }
    }
  }

  /** The version from the build (a filtered resource), for {@code --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      return new String[] {"infrastate reference CLI " + number()};
    }

    /** The project version the build wrote into {@code version.properties}. */
    static String number() throws IOException {
      Properties p = new Properties();
      try (InputStream in = Root.class.getResourceAsStream("version.properties")) {
        if (in == null) {
          throw CliException.error("version.properties is missing from the class path: build the CLI with Maven");
        }
        p.load(in);
      }
      String v = p.getProperty("version", "");
      if (v.isBlank() || v.startsWith("${")) {
        throw CliException.error("version.properties was not filtered by the build: build the CLI with Maven");
      }
      return v;
    }
  }

  /** {@code infrastate version}: the version, as {@code --version} prints it, or as JSON. */
  @Command(name = "version", description = "Print the version of this CLI (the project version it was built from).")
  static final class VersionCommand extends Verb {
    VersionCommand(Root root) {
      super(root);
    }

    @Override
    public Integer call() throws IOException {
      String v = Version.number();
      if (json()) {
        out().println("{\n  \"version\": " + Output.quote(v) + "\n}");
      } else {
        out().println("infrastate reference CLI " + v);
      }
      return InfrastateCli.OK;
    }
  }
}
