package io.infrastate.file;

import io.infrastate.lock.Lock;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Child JVM for lock tests: several threads enter a critical section guarded by one file lock, a
 * number of rounds each. Inside, a thread creates a marker file exclusively (it exists only while
 * somebody is inside, so finding it means two holders overlap), appends a begin line and an end
 * line to a shared log (O_APPEND, so lines of all processes interleave only if holders overlap),
 * and deletes the marker.
 *
 * <p>Arguments: lock directory, lock name, threads, rounds, shared log, marker file, tag.
 */
public final class FileLockContenderMain {
  private FileLockContenderMain() {}

  /**
   * Runs the contenders; exits 0 when every round completed.
   *
   * @param args directory, name, threads, rounds, log, marker, tag
   * @throws Exception on failure (exit code 1)
   */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String name = args[1];
    int threads = Integer.parseInt(args[2]);
    int rounds = Integer.parseInt(args[3]);
    Path log = Path.of(args[4]);
    Path marker = Path.of(args[5]);
    String tag = args[6];
    LockOptions options = LockOptions.builder().pollInterval(Duration.ofMillis(1), Duration.ofMillis(20)).build();
    try (FileLockProvider locks = FileLockProvider.in(dir, options)) {
      ExecutorService ex = Executors.newFixedThreadPool(threads);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String who = tag + "-t" + t;
        done.add(ex.submit(() -> {
          for (int r = 0; r < rounds; r++) {
            try (Lock lock = locks.acquire(name, LockRequest.of("count " + who), Duration.ofMinutes(3))) {
              boolean overlap = false;
              try {
                Files.createFile(marker);
              } catch (FileAlreadyExistsException e) {
                overlap = true;
              }
              append(log, (overlap ? "OVERLAP " : "BEGIN ") + who + " " + r + "\n");
              Thread.yield();
              append(log, "END " + who + " " + r + "\n");
              if (!overlap) {
                Files.delete(marker);
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      ex.shutdown();
    }
    System.out.println("done " + tag);
  }

  private static void append(Path log, String line) throws Exception {
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ch.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
    }
  }
}
