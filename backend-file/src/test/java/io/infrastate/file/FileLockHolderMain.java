package io.infrastate.file;

import io.infrastate.lock.Lock;
import io.infrastate.lock.LockRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * Child JVM for lock tests: acquires a lock with a lease, reports its id in a file, then holds it
 * until killed (it never renews or releases).
 *
 * <p>Arguments: lock directory, lock name, lease in milliseconds, ready file.
 */
public final class FileLockHolderMain {
  private FileLockHolderMain() {}

  /**
   * Runs the holder.
   *
   * @param args directory, name, lease millis, ready file
   * @throws Exception on failure (exit code 1)
   */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String name = args[1];
    Duration lease = Duration.ofMillis(Long.parseLong(args[2]));
    Path ready = Path.of(args[3]);
    FileLockProvider locks = FileLockProvider.in(dir);
    Lock lock = locks.acquire(name, LockRequest.builder().operation("hold until killed").lease(lease).build(), Duration.ofSeconds(60));
    Path tmp = ready.resolveSibling(ready.getFileName() + ".tmp");
    Files.writeString(tmp, lock.id(), StandardCharsets.UTF_8);
    Files.move(tmp, ready, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("holding " + lock.id());
    Thread.sleep(Long.MAX_VALUE);
  }
}
