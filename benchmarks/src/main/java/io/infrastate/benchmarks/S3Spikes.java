package io.infrastate.benchmarks;

import io.infrastate.State;
import io.infrastate.StateOptions;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Whether S3 writes stay free of spikes while checkpoints of the whole state are written: the
 * median, mean and slowest of 64 single writes ({@code State.addHost}, after 64 warm-up writes) at
 * each state size, with the default checkpoint rule (by bytes of log) and with a checkpoint forced
 * every 32 versions (so that two background checkpoints of the whole state overlap the measured
 * writes). Targets: mean at most 1.5 times the median, slowest at most 5 times. The state is
 * loaded once before the writes and a full collection then tenures it, as in a process that has
 * held it for a while. Each line also gives the CPU time and the bytes allocated by the backend's
 * background thread (checkpoints and readable copies) during the measured writes and the close
 * that waits for them, which do not depend on the machine's load as wall-clock times do.
 *
 * <p>Runs against any S3-compatible server given as a URI prefix (each run writes a fresh state
 * below it; credentials come from the AWS SDK's default chain):
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.infrastate.benchmarks.S3Spikes \
 *     --uri 's3://BUCKET/bench?endpoint=http://127.0.0.1:9000&amp;pathStyle=true&amp;region=us-east-1' \
 *     [--hosts 1000,100000] [--writes 64] [--rules default,forced]
 * </pre>
 *
 * The backend-s3 module's test server serves one in another process ({@code S3TestServer.main},
 * which prints the URI and its credentials are the test ones).
 */
public final class S3Spikes {
  private S3Spikes() {}

  /**
   * Runs the measurement and prints one line per size and checkpoint rule.
   *
   * @param args {@code --uri PREFIX [--hosts N,N] [--writes N] [--rules default,forced]}
   * @throws Exception if the server or a write fails
   */
  public static void main(String[] args) throws Exception {
    String prefix = null;
    int[] sizes = {1_000, 100_000};
    int writes = 64;
    List<String> rules = List.of("default", "forced");
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--uri" -> prefix = args[i + 1];
        case "--hosts" -> sizes = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--writes" -> writes = Integer.parseInt(args[i + 1]);
        case "--rules" -> rules = List.of(args[i + 1].split(","));
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (prefix == null) {
      throw new IllegalArgumentException("pass the server as --uri 's3://BUCKET/PREFIX?endpoint=…&pathStyle=true'");
    }
    System.out.printf(Locale.ROOT, "%-8s %-26s %9s %9s %9s %9s %9s  %-18s %12s %12s%n",
        "hosts", "checkpoints", "median ms", "mean ms", "max ms", "mean/med", "max/med", "targets (1.5x, 5x)",
        "derived cpu", "derived alloc");
    for (int hosts : sizes) {
      if (rules.contains("default")) {
        run(prefix, hosts, writes, "default (bytes of log)", "");
      }
      if (rules.contains("forced")) {
        run(prefix, hosts, writes, "forced every 32 versions", "checkpointInterval=32");
      }
    }
  }

  /** A state URI below the prefix: {@code PREFIX/<fresh id>/state.json} with the prefix's query and {@code extra}. */
  static URI stateUri(String prefix, String extra) {
    URI p = URI.create(prefix);
    String path = (p.getPath() == null || p.getPath().isEmpty() ? "" : p.getPath()) + "/" + UUID.randomUUID() + "/state.json";
    String query = p.getQuery() == null ? extra : extra.isEmpty() ? p.getQuery() : p.getQuery() + "&" + extra;
    return URI.create(p.getScheme() + "://" + p.getAuthority() + path + (query.isEmpty() ? "" : "?" + query));
  }

  private static void run(String prefix, int hosts, int writes, String name, String extra) throws Exception {
    URI uri = stateUri(prefix, extra);
    StateOptions options = StateOptions.builder().operator("bench@harness").build();
    try (State state = State.open(uri.toString(), options)) {
      state.update(tx -> {
        for (int i = 0; i < hosts; i++) {
          tx.addHost(Data.host(i));
        }
      });
    } // close waits for the setup's own checkpoint: not part of the measurement
    List<Long> nanos = new ArrayList<>();
    DerivedThreads derived = new DerivedThreads();
    try (State state = State.open(uri.toString(), options)) {
      // the state just loaded is young: tenure it, as in a process that has held it for a while, so
      // that the measured writes pay for their own collections, not for copying the whole state once
      System.gc();
      for (int w = 0; w < 2 * writes; w++) {
        long t0 = System.nanoTime();
        state.addHost(Data.host((w * 7919) % hosts).withVar("deployed", "build-" + w));
        long t = System.nanoTime() - t0;
        if (w >= writes) {
          nanos.add(t);
        }
        if (w == writes - 1) {
          derived.start();
        }
      }
    }
    derived.stop();
    long[] samples = nanos.stream().mapToLong(Long::longValue).toArray();
    double median = Stats.median(samples) / 1e6;
    double mean = Arrays.stream(samples).average().orElseThrow() / 1e6;
    double max = Arrays.stream(samples).max().orElseThrow() / 1e6;
    boolean hit = mean <= 1.5 * median && max <= 5 * median;
    System.out.printf(Locale.ROOT, "%-8d %-26s %9.2f %9.2f %9.2f %9.2f %9.2f  %-18s %9.0f ms %9.1f MB%n", hosts, name,
        median, mean, max, mean / median, max / median, hit ? "hit" : "miss", derived.cpuNanos / 1e6,
        derived.allocated / 1e6);
  }

  /**
   * The CPU time and allocation of the backend's background threads ({@code infrastate-s3-derived})
   * between {@link #start} and {@link #stop}, sampled every 20 ms by a thread of its own (a
   * background thread ends after some idle time; its last sample counts).
   */
  private static final class DerivedThreads {
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final Map<Long, long[]> first = new HashMap<>();
    private final Map<Long, long[]> last = new HashMap<>();
    private volatile boolean sampling;
    private Thread sampler;
    long cpuNanos;
    long allocated;

    void start() {
      sample(true);
      sampling = true;
      sampler = new Thread(() -> {
        while (sampling) {
          sample(false);
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "derived-sampler");
      sampler.setDaemon(true);
      sampler.start();
    }

    void stop() throws InterruptedException {
      sampling = false;
      sampler.join();
      sample(false);
      synchronized (this) {
        for (Map.Entry<Long, long[]> e : last.entrySet()) {
          long[] from = first.getOrDefault(e.getKey(), new long[2]);
          cpuNanos += e.getValue()[0] - from[0];
          allocated += e.getValue()[1] - from[1];
        }
      }
    }

    private synchronized void sample(boolean atStart) {
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        if (!t.getName().startsWith("infrastate-s3-derived")) {
          continue;
        }
        long cpu = threads.getThreadCpuTime(t.getId());
        long alloc = threads.getThreadAllocatedBytes(t.getId());
        if (cpu < 0 || alloc < 0) {
          continue;
        }
        long[] v = {cpu, alloc};
        if (atStart) {
          first.put(t.getId(), v);
        }
        last.put(t.getId(), v);
      }
    }
  }
}
