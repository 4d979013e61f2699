package io.infrastate.examples.cli;

import io.infrastate.State;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/**
 * Runs in a child JVM as a user who may only read the state: opens it through the API and reads
 * every host, then lists hosts and prints the Ansible inventory through the CLI. Prints one line
 * per attempt: {@code API <hosts>} or {@code CLI <verb> <exit code> <stdout lines> <stderr>}.
 */
public final class ReadOnlyMain {
  private ReadOnlyMain() {}

  /**
   * Reads.
   *
   * @param args the state URI
   */
  public static void main(String[] args) {
    String uri = args[0];
    try (State s = State.open(uri)) {
      System.out.println("API " + s.allHosts().size());
    } catch (RuntimeException e) {
      System.out.println("API failed " + e);
    }
    for (String[] verb : new String[][] {{"host", "list"}, {"inventory", "--list"}}) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = InfrastateCli.execute(new String[] {"--state", uri, verb[0], verb[1]}, new PrintWriter(out, true), new PrintWriter(err, true), Map.of());
      System.out.println("CLI " + verb[0] + " " + code + " " + out.toString().lines().count() + " " + err.toString().strip());
    }
  }
}
