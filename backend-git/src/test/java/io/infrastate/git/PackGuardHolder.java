package io.infrastate.git;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A separate JVM that holds a repository's pack guard as a fetch does: prints {@code holding},
 * waits until the file {@code args[1]} exists, then lets go and exits.
 */
public final class PackGuardHolder {
  private PackGuardHolder() {}

  /**
   * Holds the guard.
   *
   * @param args the repository directory, the file whose creation ends the hold
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    Path release = Path.of(args[1]);
    PackGuard.of(Path.of(args[0])).using(() -> {
      System.out.println("holding");
      System.out.flush();
      while (!Files.exists(release)) {
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
      return null;
    });
    System.out.println("released");
  }
}
