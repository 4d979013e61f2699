package io.infrastate.examples.cli;

import io.infrastate.AuditEntry;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.file.FileLockProvider;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockListener;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
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
    subcommands = {
      StateCommand.class,
      HostCommand.class,
      ResourceCommand.class,
      LockCommand.class,
      LockCommand.ForceUnlock.class,
      InventoryCommand.class,
      CommandLine.HelpCommand.class,
    },
    footerHeading = "%n",
    footer = {
      "The state is --state URI or $INFRASTATE_STATE: a path (state.json) or a URI"
          + " (file:///srv/state.json). Locks of a file state live in <state file>.locks/.",
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:the operation failed (unknown key, validation veto, storage error)",
      "2:bad command line (unknown option, malformed KEY=VALUE, unknown URI scheme)",
      "3:conflict (other writers kept winning; state push refused an older serial or another lineage)",
      "4:the lock is held by somebody else",
      "5:the stored state is damaged, of another lineage or of a newer format (nothing was written)",
    })
final class Root implements Callable<Integer> {
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:.*", Pattern.DOTALL);

  private final Map<String, String> env;

  @Spec CommandSpec spec;

  @Option(
      names = "--state",
      paramLabel = "URI",
      scope = ScopeType.INHERIT,
      description = "The state: a path or a URI such as file:///srv/state.json (default: $INFRASTATE_STATE).")
  String state;

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
    StateOptions.Builder options = StateOptions.builder();
    if (operator != null && !operator.isBlank()) {
      options.operator(operator);
    }
    return State.open(stateUri(), options.build());
  }

  /** The audit entry for a write: operator and reason from the options, the operation given. */
  AuditEntry audit(String operation) {
    return new AuditEntry(operator, operation, reason);
  }

  /** The reason given, or empty. */
  String reason() {
    return reason == null ? "" : reason;
  }

  /**
   * The lock provider that belongs to the state. Takeovers of stale locks and force-unlocks are
   * recorded in the state's history (when the state exists) and noted on standard error.
   */
  LockProvider locks() {
    return locks(true);
  }

  /** The lock provider; {@code record} says whether to record takeovers and force-unlocks. */
  LockProvider locks(boolean record) {
    String uri = stateUri();
    LockOptions.Builder options = LockOptions.builder().listener(record ? new Recorder() : LockListener.NONE);
    if (operator != null && !operator.isBlank()) {
      options.operator(operator);
    }
    Path file = filePath(uri);
    if (file == null) {
      throw CliException.usage(
          "Locks are not available for the state '" + uri + "' in this CLI: it keeps locks for file"
              + " states (a path or file:///...). Use the SDK's lock provider of that backend.");
    }
    return FileLockProvider.in(file.resolveSibling(file.getFileName() + ".locks"), options.build());
  }

  /** The file behind a bare path or {@code file:} URI, or null for another scheme. */
  static Path filePath(String uri) {
    if (!SCHEME.matcher(uri).matches()) {
      return Path.of(uri).toAbsolutePath().normalize();
    }
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      throw CliException.usage("State URI '" + uri + "' is malformed: " + e.getMessage());
    }
    if (!parsed.getScheme().toLowerCase(Locale.ROOT).equals("file") || parsed.getRawPath() == null) {
      return null;
    }
    return Path.of(URI.create("file://" + parsed.getRawPath()));
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
      try (State s = open()) {
        if (s.metadata().serial() > 0) {
          event.accept(LockListener.recordingTo(s));
        }
      }
    }
  }

  /** The version from the build (a filtered resource). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties p = new Properties();
      try (InputStream in = Root.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {"infrastate reference CLI " + p.getProperty("version", "(unknown version)")};
    }
  }
}
