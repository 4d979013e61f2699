package io.infrastate.examples.cli;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.model.StateException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Runs in a child JVM (small heap): every way of reading and writing a state, through the API and
 * the CLI, in both file modes, against one hostile case. Prints one line per attempt:
 * {@code RESULT <mode> <operation> <outcome> <changed|unchanged> <message>}, the outcome being
 * {@code ok}, {@code typed:<exception>}, {@code untyped:<exception>} or {@code exit:<code>:<stderr
 * lines>:<stack trace or not>}.
 */
public final class HostileCaseMain {
  private HostileCaseMain() {}

  /**
   * Runs the attempts.
   *
   * @param args the state path, and the case's directory (compared before and after each attempt)
   */
  public static void main(String[] args) throws Exception {
    Path state = Path.of(args[0]);
    Path dir = Path.of(args[1]);
    for (String mode : List.of("file", "journal")) {
      String uri = mode.equals("file") ? state.toString() : state.toUri() + "?journal=true";
      attempt(mode, "api-load", dir, () -> {
        try (State s = State.open(uri)) {
          return "ok " + s.allHosts().size();
        }
      });
      attempt(mode, "api-write", dir, () -> {
        try (State s = State.open(uri)) {
          s.addHost(HostState.builder("web99").address("10.0.0.99").build());
          return "ok";
        }
      });
      attempt(mode, "cli-read", dir, () -> cli(uri, "host", "list"));
      attempt(mode, "cli-inventory", dir, () -> cli(uri, "inventory", "--list"));
      attempt(mode, "cli-write", dir, () -> cli(uri, "host", "add", "web99", "--address", "10.0.0.99"));
    }
    System.out.println("DONE");
  }

  @FunctionalInterface
  private interface Attempt {
    String run() throws Exception;
  }

  private static void attempt(String mode, String op, Path dir, Attempt a) throws Exception {
    Map<String, String> before = HostileStates.snapshot(dir);
    String outcome;
    String message = "";
    try {
      outcome = a.run();
    } catch (StateException e) {
      outcome = "typed:" + e.getClass().getSimpleName();
      message = e.getMessage();
    } catch (Throwable e) {
      outcome = "untyped:" + e.getClass().getName();
      message = String.valueOf(e.getMessage());
    }
    Map<String, String> after = HostileStates.snapshot(dir);
    String changed = before.equals(after) ? "unchanged" : "changed(" + before + " -> " + after + ")";
    System.out.println("RESULT " + mode + " " + op + " " + outcome.replace(' ', '_') + " " + changed + " "
        + (message == null ? "" : message.replace('\n', ' ')));
  }

  private static String cli(String uri, String... verb) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] args = new String[verb.length + 2];
    args[0] = "--state";
    args[1] = uri;
    System.arraycopy(verb, 0, args, 2, verb.length);
    int code = InfrastateCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), Map.of());
    String e = err.toString();
    boolean trace = e.contains("\tat ") || e.contains("Exception in thread");
    return code == 0 ? "ok" : "exit:" + code + ":" + e.lines().count() + ":" + (trace ? "trace" : "notrace") + ":" + e.strip().replace(' ', '_');
  }
}
