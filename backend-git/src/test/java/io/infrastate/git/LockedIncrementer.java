package io.infrastate.git;

import io.infrastate.lock.Lock;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A child JVM for the cross-process lock test: {@code rounds} times, takes the Git lock {@code
 * counter} (through its own clone of the remote), then increments a plain file in a deliberately
 * unsafe way (read, pause, write) that loses updates unless the lock excludes the other processes.
 *
 * <p>Usage: {@code LockedIncrementer REMOTE CLONE_DIR COUNTER_FILE NAME ROUNDS START_FILE}: it
 * creates {@code START_FILE.NAME} when ready and starts when {@code START_FILE} exists, so that
 * all children contend at once.
 */
public final class LockedIncrementer {
  private LockedIncrementer() {}

  /**
   * Runs the increments.
   *
   * @param args remote, clone directory, counter file, holder name, rounds, start file
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    Path counter = Path.of(args[2]);
    int rounds = Integer.parseInt(args[4]);
    LockOptions options = LockOptions.builder()
        .operator(args[3] + "@proc")
        .pollInterval(Duration.ofMillis(2), Duration.ofMillis(20))
        .build();
    try (GitLockProvider locks = GitLockProvider.builder()
        .remote(args[0])
        .cloneDirectory(Path.of(args[1]))
        .options(options)
        .build()) {
      locks.inspect("counter"); // warm up: open the remote once before the start
      Path start = Path.of(args[5]);
      Files.createFile(Path.of(args[5] + "." + args[3]));
      while (!Files.exists(start)) {
        Thread.sleep(5);
      }
      for (int i = 0; i < rounds; i++) {
        try (Lock lock = locks.acquire("counter", LockRequest.of("increment"), Duration.ofMinutes(2))) {
          long n = Long.parseLong(Files.readString(counter).strip());
          Thread.sleep(2);
          Files.writeString(counter, Long.toString(n + 1));
        }
      }
    }
    System.out.println("done " + args[3]);
  }
}
