package io.infrastate.git;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Benchmark harness, run by hand (not a test): the per-write cost of the Git backend on a small
 * state, and the repository's growth per 1,000 writes.
 *
 * <pre>
 * mvn -o -q -pl backend-git test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp backend-git/target/test-classes:backend-git/target/classes:$(cat backend-git/target/cp.txt) \
 *     io.infrastate.git.GitWriteCost MODE WRITES FSYNC DIR
 * </pre>
 *
 * MODE is {@code local} (commit into a bare repository), {@code clone} (fetch, commit, push to a
 * bare repository on disk through JGit's in-process receive-pack) or {@code clone-git} (pushing through the real
 * {@code git receive-pack}, as an SSH or HTTPS server runs it). Prints milliseconds per write (after a warm-up) and bytes per 1,000
 * writes of the repository (and of the clone in clone mode), before and after {@code git gc}.
 */
public final class GitWriteCost {
  private GitWriteCost() {}

  /**
   * Runs the benchmark.
   *
   * @param args mode, number of measured writes, fsync (true/false), work directory
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    String mode = args[0];
    int writes = Integer.parseInt(args[1]);
    boolean fsync = Boolean.parseBoolean(args[2]);
    Path dir = Path.of(args[3]).toAbsolutePath();
    Files.createDirectories(dir);
    Path remote = Cli.bare(dir, "bench-" + mode + "-" + fsync + "-" + System.nanoTime() + ".git");
    Path clone = dir.resolve(remote.getFileName() + ".clone");
    GitBackend.Builder b = GitBackend.builder().fsync(fsync);
    b = mode.equals("local") ? b.repository(remote) : b.remote(remote.toString()).cloneDirectory(clone);
    if (mode.equals("clone-git")) {
      b.transportConfig(t -> t.setOptionReceivePack("/usr/bin/git receive-pack"));
    }
    StateOptions options = StateOptions.builder().operator("bench@host").build();
    try (GitBackend backend = b.build(); State state = State.load(backend, options)) {
      for (int i = 0; i < 10; i++) {
        state.addHost(HostState.builder("web" + i).address("10.0.0." + i).port(22).user("deploy").build());
      }
      for (int i = 0; i < 100; i++) {
        write(state, i);
      }
      long before = size(remote);
      long cloneBefore = mode.startsWith("clone") ? size(clone) : 0;
      long[] nanos = new long[writes];
      java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
      long cpu0 = mx.getCurrentThreadCpuTime();
      for (int i = 0; i < writes; i++) {
        long t0 = System.nanoTime();
        write(state, i);
        nanos[i] = System.nanoTime() - t0;
      }
      double cpuPerWrite = (mx.getCurrentThreadCpuTime() - cpu0) / 1e6 / writes;
      long after = size(remote);
      long cloneAfter = mode.startsWith("clone") ? size(clone) : 0;
      Arrays.sort(nanos);
      double mean = Arrays.stream(nanos).average().orElse(0) / 1e6;
      System.out.printf(Locale.ROOT, "mode=%s fsync=%s writes=%d state=%d bytes%n", mode, fsync, writes,
          io.infrastate.codec.StateCodec.encode(state.snapshot()).length);
      System.out.printf(Locale.ROOT, "ms/write mean=%.2f p50=%.2f p90=%.2f p99=%.2f (cpu of the writing thread %.2f)%n", mean,
          nanos[writes / 2] / 1e6, nanos[(int) (writes * 0.9)] / 1e6, nanos[(int) (writes * 0.99)] / 1e6, cpuPerWrite);
      System.out.printf(Locale.ROOT, "repository growth per 1000 writes: %d bytes (%d files)%n",
          (after - before) * 1000 / writes, files(remote));
      if (mode.startsWith("clone")) {
        System.out.printf(Locale.ROOT, "clone growth per 1000 writes: %d bytes%n", (cloneAfter - cloneBefore) * 1000 / writes);
      }
    }
    Files.write(dir.resolve("state-sample.json"), Cli.show(remote, "main", "state.json"));
    Cli.git(remote, "gc", "-q", "--force");
    System.out.printf(Locale.ROOT, "repository after git gc: %d bytes in total for %d commits%n", size(remote),
        Integer.parseInt(Cli.git(remote, "rev-list", "--count", "main").strip()));
  }

  private static void write(State state, int i) {
    state.addResource("app:api", ResourceState.builder("app", "api").name("api").data("version", "v" + i).build(),
        AuditEntry.of("deploy api v" + i));
  }

  static long size(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          // Disk usage in 4 KiB blocks, as `du` counts it.
          return (Files.size(p) + 4095) / 4096 * 4096;
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    }
  }

  private static long files(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).count();
    }
  }
}
