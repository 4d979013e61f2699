package intruder;

import io.infrastate.model.Json;

/** Must not compile: io.infrastate.internal is exported only to infrastate's own modules. */
public final class Main {
  private Main() {}

  /**
   * Never runs.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    System.out.println(Json.class);
  }
}
