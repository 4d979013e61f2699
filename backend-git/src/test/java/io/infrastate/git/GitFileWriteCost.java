package io.infrastate.git;

import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Benchmark harness, run by hand (not a test): the cost of one {@code State.addHost} into a local
 * bare repository whose single-file state holds N hosts and M resources, with default options
 * (fsync on), in wall time and in CPU time of the whole process (Linux only: it counts work done on other
 * threads than the writer's).
 *
 * <pre>
 * mvn -o -q -pl backend-git -am test-compile
 * mvn -o -q -pl backend-git dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp backend-git/target/test-classes:backend-git/target/classes:$(cat backend-git/target/cp.txt) \
 *     io.infrastate.git.GitFileWriteCost HOSTS RESOURCES WRITES DIR [ROUNDS]
 * </pre>
 *
 * Seeds the state in one write (without fsync), warms up with 10 writes, then runs ROUNDS (default
 * 1) rounds of WRITES timed writes of one new host each, and prints per round the median and mean
 * wall time and the mean CPU time per write of the process and of the writing thread, in
 * milliseconds, and the loose object size of the last write's state file.
 */
public final class GitFileWriteCost {
  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  private GitFileWriteCost() {}

  /**
   * Runs the benchmark.
   *
   * @param args hosts, resources, measured writes per round, work directory, and optionally rounds
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    int hosts = Integer.parseInt(args[0]);
    int resources = Integer.parseInt(args[1]);
    int writes = Integer.parseInt(args[2]);
    Path dir = Files.createDirectories(Path.of(args[3]).toAbsolutePath());
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 1;
    Path repo = Cli.bare(dir, "bench-file-" + hosts + "-" + System.nanoTime() + ".git");
    StateOptions options = StateOptions.builder().operator("bench@host").build();
    try (GitBackend backend = GitBackend.builder().repository(repo).fsync(false).build();
        State state = State.load(backend, options)) {
      state.update(t -> {
        for (int i = 0; i < hosts; i++) {
          t.addHost(host("h" + i, i));
        }
        for (int i = 0; i < resources; i++) {
          t.addResource("linode:" + i, ResourceState.builder("linode", Integer.toString(i)).name("vm" + i)
              .data("region", "eu-central").data("size", "g6-standard-" + (i % 8)).tag("env", "prod").build());
        }
      });
    }
    try (GitBackend backend = GitBackend.builder().repository(repo).build();
        State state = State.load(backend, options)) {
      for (int i = 0; i < 10; i++) {
        state.addHost(host("warm" + i, i));
      }
      int n = 0;
      for (int r = 0; r < rounds; r++) {
        double[] ms = new double[writes];
        long cpu0 = processCpuNanos();
        long own0 = THREADS.getCurrentThreadCpuTime();
        for (int i = 0; i < writes; i++) {
          long t0 = System.nanoTime();
          state.addHost(host("new" + n, n));
          n++;
          ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double cpu = (processCpuNanos() - cpu0) / 1e6 / writes;
        double own = (THREADS.getCurrentThreadCpuTime() - own0) / 1e6 / writes;
        Arrays.sort(ms);
        double mean = Arrays.stream(ms).average().orElse(0);
        System.out.printf(Locale.ROOT, "hosts=%d resources=%d writes=%d median=%.1fms mean=%.1fms max=%.1fms"
            + " cpu/write=%.1fms (writing thread %.1fms)%n", hosts, resources, writes, ms[writes / 2], mean, ms[writes - 1], cpu,
            own);
      }
      String blob = Cli.git(repo, "rev-parse", "main:state.json").strip();
      Path loose = repo.resolve("objects").resolve(blob.substring(0, 2)).resolve(blob.substring(2));
      System.out.printf(Locale.ROOT, "state.json %s bytes, loose object %d bytes%n",
          Cli.git(repo, "cat-file", "-s", blob).strip(), Files.size(loose));
    }
  }

  /** User and system CPU time of this process (Linux: /proc/self/stat, in clock ticks of 10 ms). */
  private static long processCpuNanos() throws java.io.IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
  }

  private static HostState host(String name, int i) {
    return HostState.builder(name).address("10.0." + (i / 250 % 250) + "." + (i % 250)).port(22).user("deploy")
        .group("web").var("rack", "r" + (i % 40)).build();
  }
}
