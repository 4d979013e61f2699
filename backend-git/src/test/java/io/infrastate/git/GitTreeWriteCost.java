package io.infrastate.git;

import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.HostState;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Benchmark harness, run by hand (not a test): the cost of one {@code State.addHost} into a local
 * bare repository holding N hosts, in the tree layout or the single file, with default options
 * (fsync on).
 *
 * <pre>
 * mvn -o -q -pl backend-git -am test-compile
 * mvn -o -q -pl backend-git dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp backend-git/target/test-classes:backend-git/target/classes:$(cat backend-git/target/cp.txt) \
 *     io.infrastate.git.GitTreeWriteCost LAYOUT HOSTS WRITES DIR [FSYNC]
 * </pre>
 *
 * LAYOUT is {@code tree} or {@code single}; FSYNC {@code true} (the default) or {@code false} for the
 * measured writes. Seeds HOSTS hosts in one write (without fsync), warms up with 10 writes, then
 * times WRITES writes of one new host each and prints their median, mean and maximum
 * in milliseconds, and the median CPU time of the writing thread (what a busy machine distorts least).
 */
public final class GitTreeWriteCost {
  private GitTreeWriteCost() {}

  /**
   * Runs the benchmark.
   *
   * @param args layout, number of hosts, number of measured writes, work directory, and optionally fsync
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    GitLayout layout = GitLayout.named(args[0]);
    int hosts = Integer.parseInt(args[1]);
    int writes = Integer.parseInt(args[2]);
    Path dir = Files.createDirectories(Path.of(args[3]).toAbsolutePath());
    Path repo = Cli.bare(dir, "bench-" + args[0] + "-" + hosts + "-" + System.nanoTime() + ".git");
    StateOptions options = StateOptions.builder().operator("bench@host").build();
    boolean fsync = args.length < 5 || Boolean.parseBoolean(args[4]);
    long seed = System.nanoTime();
    // seeding is not measured: written without fsync, so that 100,000 loose objects take minutes, not tens
    try (GitBackend backend = GitBackend.builder().repository(repo).layout(layout).fsync(false).build();
        State state = State.load(backend, options)) {
      state.update(t -> {
        for (int i = 0; i < hosts; i++) {
          t.addHost(host("h" + i, i));
        }
      });
    }
    double seedMs = (System.nanoTime() - seed) / 1e6;
    try (GitBackend backend = GitBackend.builder().repository(repo).layout(layout).fsync(fsync).build();
        State state = State.load(backend, options)) {
      for (int i = 0; i < 10; i++) {
        state.addHost(host("warm" + i, i));
      }
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      double[] ms = new double[writes];
      double[] cpu = new double[writes];
      for (int i = 0; i < writes; i++) {
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        state.addHost(host("new" + i, i));
        ms[i] = (System.nanoTime() - t0) / 1e6;
        cpu[i] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
      }
      Arrays.sort(ms);
      Arrays.sort(cpu);
      double mean = Arrays.stream(ms).average().orElse(0);
      System.out.printf(Locale.ROOT, "layout=%s hosts=%d writes=%d fsync=%s seed=%.0fms median=%.2fms mean=%.2fms"
          + " max=%.2fms cpu-median=%.2fms%n", layout.uriName(), hosts, writes, fsync, seedMs, ms[writes / 2], mean,
          ms[writes - 1], cpu[writes / 2]);
    }
  }

  private static HostState host(String name, int i) {
    return HostState.builder(name).address("10.0." + (i / 250 % 250) + "." + (i % 250)).port(22).user("deploy")
        .group("web").var("rack", "r" + (i % 40)).build();
  }
}
