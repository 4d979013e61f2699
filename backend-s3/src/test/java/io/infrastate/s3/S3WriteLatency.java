package io.infrastate.s3;

import io.infrastate.HostState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Measures the latency of single writes ({@code State.addHost}) by hand (not part of the test
 * suite): median, mean and slowest of 64 writes after 64 warm-up writes, for states of several
 * sizes, with the default checkpoint rule and with a checkpoint forced every 32 versions (so that
 * the measured writes overlap background checkpoints of the whole state).
 *
 * <pre>
 * mvn -o -q -pl backend-s3 test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -Xmx2g -cp backend-s3/target/test-classes:backend-s3/target/classes:$(cat /tmp/cp.txt) \
 *     io.infrastate.s3.S3WriteLatency [hosts...]
 * </pre>
 */
public final class S3WriteLatency {
  private static final int WRITES = 64;

  private S3WriteLatency() {}

  /**
   * Runs the measurement.
   *
   * @param args host counts (default 1000 10000 100000)
   * @throws Exception if the server or a write fails
   */
  public static void main(String[] args) throws Exception {
    int[] sizes = args.length == 0 ? new int[] {1_000, 10_000, 100_000}
        : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    try (S3TestServer server = S3TestServer.start()) {
      String bucket = server.newBucket();
      System.out.printf(Locale.ROOT, "%-8s %-28s %10s %10s %10s %10s %10s%n",
          "hosts", "checkpoints", "median ms", "mean ms", "max ms", "mean/med", "max/med");
      for (int hosts : sizes) {
        run(server, bucket, hosts, "default (by bytes of log)", b -> b);
        run(server, bucket, hosts, "every 32 versions", b -> b.checkpointInterval(32));
      }
    }
  }

  private static HostState host(int i) {
    return HostState.builder(String.format("host%06d", i)).address("10.0." + (i / 250 % 250) + "." + (i % 250))
        .port(22).user("deploy").var("role", i % 2 == 0 ? "web" : "db").var("rack", "r" + (i % 16)).build();
  }

  private static void run(S3TestServer server, String bucket, int hosts, String name,
      UnaryOperator<S3Backend.Builder> config) throws Exception {
    String key = "bench/" + UUID.randomUUID() + "/state.json";
    try (S3Client client = server.client();
        S3Backend b = config.apply(S3Backend.builder().client(client).bucket(bucket).key(key)).build();
        State state = State.load(b, StateOptions.builder().operator("bench@harness").build())) {
      state.update(tx -> {
        for (int i = 0; i < hosts; i++) {
          tx.addHost(host(i));
        }
      });
      b.flushDerived(); // the setup's own checkpoint is not part of the measurement
      for (int w = 0; w < WRITES; w++) {
        state.addHost(host(w % hosts).withVar("deployed", "warm-" + w));
      }
      long[] nanos = new long[WRITES];
      for (int w = 0; w < WRITES; w++) {
        long t0 = System.nanoTime();
        state.addHost(host((w * 7919) % hosts).withVar("deployed", "build-" + w));
        nanos[w] = System.nanoTime() - t0;
      }
      long[] sorted = nanos.clone();
      Arrays.sort(sorted);
      double median = (sorted[WRITES / 2 - 1] + sorted[WRITES / 2]) / 2e6;
      double mean = Arrays.stream(nanos).average().orElseThrow() / 1e6;
      double max = sorted[WRITES - 1] / 1e6;
      System.out.printf(Locale.ROOT, "%-8d %-28s %10.2f %10.2f %10.2f %10.2f %10.2f   slowest: %s%n", hosts, name,
          median, mean, max, mean / median, max / median, Arrays.toString(Arrays.stream(sorted, WRITES - 4, WRITES)
              .mapToObj(n -> String.format(Locale.ROOT, "%.1f", n / 1e6)).toArray()));
    }
  }
}
