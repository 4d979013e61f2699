package io.infrastate.testkit;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A process that keeps one CPU busy until it is killed, for tests that claim a property holds on a
 * busy machine (writers that are descheduled at awkward moments).
 */
public final class CpuBurner {
  private CpuBurner() {}

  /**
   * Starts a burner in a separate JVM; close the returned process to stop it.
   *
   * @param log where the child's output goes
   * @return the running burner
   * @throws IOException if the JVM cannot be started
   */
  public static JvmProcess start(Path log) throws IOException {
    return JvmProcess.start(CpuBurner.class, log);
  }

  /**
   * Spins until killed.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    System.out.println("burning");
    long x = 0;
    while (x != -1) {
      x = x * 6364136223846793005L + 1442695040888963407L;
    }
  }
}
