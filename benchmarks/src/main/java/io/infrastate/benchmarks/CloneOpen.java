package io.infrastate.benchmarks;

import io.infrastate.State;
import io.infrastate.StateOptions;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the first open of a Git clone costs as the remote's history grows: a bare remote on disk
 * whose state of N hosts has C commits, opened through a fresh clone directory ({@code
 * git+file://REMOTE?clone=DIR}) until the state is loaded, several times, each with an empty clone
 * directory. Prints the median time, the commits the clone then holds ({@code git rev-list --count}
 * would say the same) and the clone directory's size. Target: the open with 1,000 commits at most
 * 1.5 times the one with 10.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.infrastate.benchmarks.CloneOpen \
 *     [--hosts 10000] [--commits 10,1000] [--runs 5] [--dir /tmp/clone-open]
 * </pre>
 *
 * Building the remotes (one {@code State.addHost} per commit, without fsync) is not measured.
 */
public final class CloneOpen {
  private CloneOpen() {}

  /**
   * Builds the remotes, measures and prints one line per history length.
   *
   * @param args {@code [--hosts N] [--commits N,N] [--runs N] [--dir PATH]}
   * @throws Exception if a remote cannot be built or opened
   */
  public static void main(String[] args) throws Exception {
    int hosts = 10_000;
    int[] commits = {10, 1_000};
    int runs = 5;
    Path dir = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--hosts" -> hosts = Integer.parseInt(args[i + 1]);
        case "--commits" -> commits = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--runs" -> runs = Integer.parseInt(args[i + 1]);
        case "--dir" -> dir = Path.of(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path work = dir == null ? Files.createTempDirectory("clone-open") : Files.createDirectories(dir);
    StateOptions options = StateOptions.builder().operator("bench@harness").build();
    Path[] remotes = new Path[commits.length];
    for (int k = 0; k < commits.length; k++) {
      remotes[k] = work.resolve("remote-" + commits[k] + ".git");
      build(remotes[k], hosts, commits[k], options);
    }
    open(remotes[0], work.resolve("warm-up"), options); // a warm JVM, as in a long-running process
    System.out.printf(Locale.ROOT, "%-8s %-8s %11s %11s %15s %13s%n",
        "hosts", "commits", "median ms", "max ms", "clone commits", "clone MB");
    double[] medians = new double[commits.length];
    for (int k = 0; k < commits.length; k++) {
      long[] nanos = new long[runs];
      long size = 0;
      long held = 0;
      for (int r = 0; r < runs; r++) {
        Path clone = work.resolve("clone-" + commits[k] + "-" + r);
        nanos[r] = open(remotes[k], clone, options);
        size = sizeOf(clone);
        held = commitsIn(clone);
      }
      medians[k] = Stats.median(nanos) / 1e6;
      System.out.printf(Locale.ROOT, "%-8d %-8d %11.1f %11.1f %15d %13.1f%n", hosts, commits[k], medians[k],
          Arrays.stream(nanos).max().orElseThrow() / 1e6, held, size / 1e6);
    }
    double ratio = medians[medians.length - 1] / medians[0];
    System.out.printf(Locale.ROOT, "ratio %d/%d commits: %.2f (target 1.5): %s%n", commits[commits.length - 1], commits[0],
        ratio, ratio <= 1.5 ? "hit" : "miss");
  }

  /** A bare remote whose state of {@code hosts} hosts has {@code commits} commits. */
  private static void build(Path remote, int hosts, int commits, StateOptions options) {
    String uri = "git+file://" + remote + "?create=true&fsync=false";
    try (State state = State.open(uri, options)) {
      state.update(tx -> {
        for (int i = 0; i < hosts; i++) {
          tx.addHost(Data.host(i));
        }
      });
      for (int c = 1; c < commits; c++) {
        state.addHost(Data.host((c * 7919) % hosts).withVar("deployed", "build-" + c));
      }
    }
  }

  /** Opens the state through a fresh clone directory; returns the nanoseconds until it is loaded. */
  private static long open(Path remote, Path clone, StateOptions options) {
    long t0 = System.nanoTime();
    try (State state = State.open("git+file://" + remote + "?clone=" + clone, options)) {
      if (state.snapshot().hosts().isEmpty()) {
        throw new IllegalStateException("no hosts in " + remote);
      }
      return System.nanoTime() - t0;
    }
  }

  /** The commits reachable from the clone's tracking ref (the shallow boundary ends the walk). */
  private static long commitsIn(Path clone) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("git", "rev-list", "--count", "refs/remotes/origin/main")
        .directory(clone.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    return p.waitFor() == 0 ? Long.parseLong(out) : -1;
  }

  private static long sizeOf(Path dir) throws IOException {
    AtomicLong total = new AtomicLong();
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        total.addAndGet(attrs.size());
        return FileVisitResult.CONTINUE;
      }
    });
    return total.get();
  }
}
