package io.infrastate.benchmarks;

/** A JVM that does nothing: the floor of the start-up scenario. */
public final class EmptyMain {
  private EmptyMain() {}

  /**
   * Returns at once.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    // nothing: the JVM's own start and exit is what is measured
  }
}
