package io.infrastate.examples.cli;

import io.infrastate.model.ConflictException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.LineageMismatchException;
import io.infrastate.model.LockLostException;
import io.infrastate.model.StateException;
import io.infrastate.model.UnknownBackendException;
import io.infrastate.model.UnsupportedFormatVersionException;
import io.infrastate.lock.LockHeldException;
import io.infrastate.lock.LockTimeoutException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import picocli.CommandLine;

/**
 * {@code infrastate}: the reference command-line tool, a thin layer of picocli over the SDK that
 * teams can copy when they wrap infrastate in their own CLI. Every verb is a few lines of SDK
 * calls; the rest is argument parsing, output and the mapping of exceptions to exit codes.
 *
 * <pre>
 * infrastate --state state.json host add web01 --address 10.0.0.5 --port 22 --user deploy --group web
 * infrastate --state state.json state list
 * infrastate --state state.json --json state show host.web01
 * ID=$(infrastate --state state.json lock acquire deploy --lease 30m --operation "deploy api")
 * infrastate --state state.json inventory --list          # an Ansible dynamic inventory
 * </pre>
 *
 * <h2>Global options</h2>
 *
 * {@code --state URI} (or the environment variable {@code INFRASTATE_STATE}): a path or a URI such
 * as {@code file:///srv/state.json}; {@code --operator} and {@code --reason} go into the audit
 * entry of every write; {@code --json} switches tables to stable, machine-readable JSON. Each
 * global option may be given before or after the verb.
 *
 * <h2>Writes under a lock</h2>
 *
 * {@code --lock NAME=ID} makes a writing command ({@code host add}, {@code host rm}, {@code
 * resource add}, {@code resource rm}, {@code state rm}, {@code state mv}, {@code state push},
 * {@code state rollback}) a write under the lock that {@code lock acquire NAME} acquired and whose
 * id it printed. Every acquisition of a lock carries a fencing token larger than all before it
 * (takeovers included); the write records it in the state's {@code metadata.fences} and its
 * history. It is refused with exit code {@value #LOCK_HELD} and one line on standard error,
 * writing nothing, when the lock is no longer held by that id (its lease ended, it was released or
 * taken over) or when the state already records a larger token for it (a later holder wrote):
 *
 * <pre>
 * ID=$(infrastate --state state.json lock acquire deploy --lease 30m)
 * infrastate --state state.json --lock deploy=$ID host add web01 --address 10.0.0.5
 * infrastate --state state.json lock release deploy --id $ID
 * </pre>
 *
 * <h2>Exit codes</h2>
 *
 * <table>
 *   <caption>Exit codes</caption>
 *   <tr><td>{@value #OK}</td><td>success</td></tr>
 *   <tr><td>{@value #ERROR}</td><td>the operation failed: unknown key, validation veto, storage
 *       error, no key or a wrong key for secret values</td></tr>
 *   <tr><td>{@value #USAGE}</td><td>bad command line: unknown option, missing argument, malformed
 *       {@code KEY=VALUE}, unknown URI scheme; for {@code state diff --exit-code}: the two sides differ
 *       (with {@code --exit-code} every failure exits {@value #ERROR})</td></tr>
 *   <tr><td>{@value #CONFLICT}</td><td>other writers kept winning, or {@code state push} refused an
 *       older serial or another lineage</td></tr>
 *   <tr><td>{@value #LOCK_HELD}</td><td>the lock is held by somebody else, or a write under
 *       {@code --lock} was refused because the lock was lost (nothing was written)</td></tr>
 *   <tr><td>{@value #DAMAGED}</td><td>the stored state is damaged, of another lineage, or of a
 *       newer format, or a secret value was tampered with: nothing was written</td></tr>
 * </table>
 *
 * <p>Errors are one line on standard error, saying what happened and what to do; the state is left
 * untouched. With {@code --json} that line is one JSON object, {@code
 * {"error":{"code":"usage","exit_code":2,"message":"…"}}}, whose {@code code} names the exit code's
 * class and never changes: {@code failed} (1), {@code usage} (2), {@code conflict} (3), {@code
 * lock_held} (4), {@code damaged} (5). Library logging is off except errors; set {@code
 * INFRASTATE_LOG=warn} (or {@code info}, {@code debug}) to see more.
 *
 * <p>Locks live beside the state: for a file state in the directory {@code <state file>.locks/}
 * (for {@code /srv/state.json}: {@code /srv/state.json.locks/}); for {@code s3://BUCKET/KEY} as
 * objects under {@code KEY.infrastate/locks/}; for a {@code git+} state as refs under {@code
 * refs/infrastate/locks/} of its repository; for {@code postgresql://} as rows of the schema's {@code
 * locks} table. {@code --workspace NAME} (or {@code INFRASTATE_WORKSPACE}) selects another
 * workspace of the same home, with locks of its own ({@link WorkspaceCommand}).
 *
 * <p>This class is stateless and thread-safe; each {@link #execute} call builds its own command
 * objects.
 */
public final class InfrastateCli {
  /*
   * Design notes: how the CLI keeps the SDK's guarantees.
   *
   * Every verb opens the state, does one thing and closes it; a verb that changes several entries
   * (state rm, state mv, state push, host rm) does it in one State.update, so the change is one
   * compare-and-swap write or nothing. The checks that decide whether to write (a key exists, push's
   * lineage and serial) run inside the update function: when another process wrote in between, the
   * function runs again on the fresh version and the checks see it, so a concurrent write is never
   * overwritten and a refused command has written nothing. Errors are thrown before anything is
   * persisted (bad input is parsed before the state is opened, damage stops the load), which is
   * why every failure leaves the stored state byte-for-byte as it was.
   *
   * Locks outlive the command: acquire leaves the lock stored (it is neither released nor renewed
   * when the JVM exits) and prints its id; release compares that id with the stored lock, so a
   * lock taken over after its lease ended is never released by its former holder.
   *
   * Output goes only through picocli's writers (never System.out), so execute() is usable
   * in-process, concurrently, with captured output.
   */

  /** Exit code: success. */
  public static final int OK = 0;
  /** Exit code: the operation failed (unknown key, validation veto, storage error). */
  public static final int ERROR = 1;
  /** Exit code: bad command line (unknown option, malformed KEY=VALUE, unknown URI scheme). */
  public static final int USAGE = 2;
  /**
   * Exit code: a write conflict that retries could not resolve, a refused {@code state push}, or a
   * write refused because the state was edited outside infrastate ({@code external=refuse}).
   */
  public static final int CONFLICT = 3;
  /** Exit code: the lock is held by somebody else, or a write under {@code --lock} lost its lock. */
  public static final int LOCK_HELD = 4;
  /** Exit code: the stored state is damaged, replaced by another lineage, or of a newer format. */
  public static final int DAMAGED = 5;
  /**
   * Exit code of {@code state diff --exit-code} when the two sides differ. With {@code --exit-code}
   * every failure exits {@value #ERROR}, so this code is never a bad command line.
   */
  public static final int DIFFERENT = 2;

  /** The environment variable naming the state when {@code --state} is not given. */
  public static final String STATE_ENV = "INFRASTATE_STATE";

  private InfrastateCli() {}

  /**
   * Runs the CLI and exits the JVM with its exit code.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    String level = System.getenv().getOrDefault("INFRASTATE_LOG", "error");
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
    }
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    int code = execute(args, out, err, System.getenv());
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * Runs one command line without exiting: for tests and for tools that embed the CLI.
   *
   * @param args the command line
   * @param out standard output
   * @param err standard error
   * @param env the environment ({@value #STATE_ENV}, {@code INFRASTATE_WORKSPACE}, {@code
   *     INFRASTATE_PASSPHRASE} are read)
   * @return the exit code
   */
  public static int execute(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
    Objects.requireNonNull(args, "args");
    Root root = new Root(env);
    CommandLine cmd = configure(CommandTree.forArgs(root, args), root, out, err);
    int code;
    try {
      code = cmd.execute(args);
    } catch (OutOfMemoryError e) {
      // escapes picocli's handler (an Error): still one line, never a stack trace
      code = escaped(err, args, "out of memory (" + oneLine(e.getMessage()) + "): the state is larger than this JVM's"
          + " heap allows; run java with a larger -Xmx");
    } catch (RuntimeException | Error e) {
      code = escaped(err, args, internal(e));
    }
    out.flush();
    err.flush();
    return code;
  }

  /**
   * The picocli command tree, for tools that want to add their own verbs to it.
   *
   * @param out standard output
   * @param err standard error
   * @param env the environment
   * @return a configured command line
   */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err, Map<String, String> env) {
    Root root = new Root(env);
    return configure(CommandTree.whole(root), root, out, err);
  }

  /** Sets the writers, the error handlers and the short help on a tree whose root is {@code root}. */
  private static CommandLine configure(CommandLine cmd, Root root, PrintWriter out, PrintWriter err) {
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    Handler handler = new Handler(root);
    cmd.setParameterExceptionHandler(handler);
    cmd.setExecutionExceptionHandler(handler);
    ShortHelp.apply(cmd);
    return cmd;
  }

  /**
   * Maps picocli's parse errors and the commands' failures to one line and an exit code. A class,
   * not two lambdas: a lambda for one of picocli's (Java 5) interfaces keeps that interface and the
   * classes implementing it out of the class-data-sharing archive.
   */
  private static final class Handler
      implements CommandLine.IParameterExceptionHandler, CommandLine.IExecutionExceptionHandler {
    private final Root root;

    Handler(Root root) {
      this.root = root;
    }

    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
      return usageError(e, args, root);
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine c, CommandLine.ParseResult parsed) {
      return failure(e, c, parsed.originalArgs().toArray(String[]::new), root);
    }
  }

  private static int usageError(CommandLine.ParameterException e, String[] args, Root root) {
    CommandLine c = e.getCommandLine();
    String where = c.getCommandSpec().qualifiedName();
    return report(c.getErr(), USAGE, oneLine(e.getMessage()) + "." + ShortHelp.suggestion(e) + " See '" + where
        + " --help'.", args, root);
  }

  private static int failure(Exception e, CommandLine c, String[] args, Root root) {
    String message = e instanceof CliException || e instanceof StateException || e instanceof IllegalArgumentException
        ? e.getMessage()
        : internal(e);
    return report(c.getErr(), exitCode(e), oneLine(message), args, root);
  }

  /**
   * Reports a failure on standard error and returns the exit code to use: one line of text, or with
   * {@code --json} one JSON object {@code {"error":{"code":"…","exit_code":N,"message":"…"}}}; with
   * {@code --exit-code} every failure exits {@value #ERROR} (so that {@value #DIFFERENT} only means
   * "the states differ").
   */
  private static int report(PrintWriter err, int code, String message, String[] args, Root root) {
    int exit = given(args, "--exit-code") ? ERROR : code;
    if (root.json || given(args, "--json")) {
      err.println(Output.error(errorCode(code), exit, message));
    } else {
      err.println("infrastate: " + message);
    }
    return exit;
  }

  /**
   * The stable name of an exit code's class, the {@code code} of a {@code --json} error.
   *
   * @param exitCode an exit code as documented on this class
   * @return {@code failed}, {@code usage}, {@code conflict}, {@code lock_held} or {@code damaged}
   */
  static String errorCode(int exitCode) {
    switch (exitCode) {
      case USAGE:
        return "usage";
      case CONFLICT:
        return "conflict";
      case LOCK_HELD:
        return "lock_held";
      case DAMAGED:
        return "damaged";
      default:
        return "failed";
    }
  }

  /**
   * The exit code for an exception, as documented on this class.
   *
   * @param e the failure
   * @return the exit code
   */
  static int exitCode(Throwable e) {
    if (e instanceof CliException c) {
      return c.exitCode();
    } else if (e instanceof UnknownBackendException || e instanceof IllegalArgumentException) {
      return USAGE;
    } else if (e instanceof io.infrastate.model.WorkspaceException w) {
      return w.problem() == io.infrastate.model.WorkspaceException.Problem.INVALID_NAME ? USAGE : ERROR;
    } else if (e instanceof ConflictException || e instanceof io.infrastate.model.ExternalEditException) {
      return CONFLICT;
    } else if (e instanceof LockHeldException || e instanceof LockTimeoutException || e instanceof LockLostException) {
      return LOCK_HELD;
    } else if (e instanceof CorruptStateException
        || e instanceof LineageMismatchException
        || e instanceof UnsupportedFormatVersionException) {
      return DAMAGED;
    }
    return ERROR;
  }

  /** Reports a failure that escaped picocli's handlers (the command objects are out of reach). */
  private static int escaped(PrintWriter err, String[] args, String message) {
    if (given(args, "--json")) {
      err.println(Output.error(errorCode(ERROR), ERROR, message));
    } else {
      err.println("infrastate: " + message);
    }
    return ERROR;
  }

  /**
   * Whether a flag is on the command line. Read from the arguments, not the parsed options, because
   * a bad command line may fail to parse before the flag is reached.
   */
  private static boolean given(String[] args, String flag) {
    return Arrays.asList(args).contains(flag);
  }

  /**
   * A failure the CLI did not expect, without the name of a Java type: what it said, and that it is
   * a bug to report (INFRASTATE_LOG=debug shows more).
   */
  static String internal(Throwable e) {
    String m = e.getMessage();
    return "internal error" + (m == null || m.isBlank() ? "" : ": " + oneLine(m)) + ". This is a bug of the CLI;"
        + " nothing more was written than the output says. Report it with the command line";
  }

  /** Folds a multi-line message into one line. */
  static String oneLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    return message.strip().replaceAll("\\s*\\R\\s*", "; ");
  }
}
