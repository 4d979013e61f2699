package intruder;

import io.infrastate.internal.Environment;

/** Must not compile: io.infrastate.internal is exported only to infrastate's own modules. */
public final class Main {
  private Main() {}

  /**
   * Never runs.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    System.out.println(Environment.class);
  }
}
