package io.infrastate.s3;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.codec.StateCodec;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * Measures requests and bytes per write, by hand (not part of the test suite): the log design
 * (with the readable copy on every write, and with the copy only at checkpoints) against the
 * single-object design (GET state.json, change it, PUT it back with If-Match), for states of
 * several sizes. One writer, no contention: "0 reads when nothing changed remotely".
 *
 * <pre>
 * mvn -o -q -pl backend-s3 test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp backend-s3/target/test-classes:backend-s3/target/classes:$(cat /tmp/cp.txt) io.infrastate.s3.S3RequestsHarness
 * </pre>
 */
public final class S3RequestsHarness {
  private static final int WRITES = 64;

  private S3RequestsHarness() {}

  public static void main(String[] args) throws Exception {
    try (S3TestServer server = S3TestServer.start()) {
      String bucket = server.newBucket();
      System.out.printf(Locale.ROOT, "%-8s %-34s %6s %10s %7s %12s %12s %12s%n",
          "hosts", "design", "PUT/w", "GET+HEAD/w", "LIST/w", "commit B/w", "bytes up/w", "bytes down/w");
      for (int hosts : new int[] {10, 1_000, 10_000}) {
        log(server, bucket, hosts, 256 * 1024, "log, copy on every write <=256KiB");
        log(server, bucket, hosts, 0, "log, copy at checkpoints only");
        single(server, bucket, hosts);
      }
    }
  }

  private static HostState host(int i) {
    return HostState.builder(String.format("host%05d", i)).address("10.0." + (i / 250) + "." + (i % 250)).port(22)
        .user("deploy").var("role", i % 2 == 0 ? "web" : "db").var("rack", "r" + (i % 16)).build();
  }

  private static void log(S3TestServer server, String bucket, int hosts, long copyMax, String name) throws Exception {
    CountingInterceptor counter = new CountingInterceptor();
    String key = "bench/" + UUID.randomUUID() + "/state.json";
    try (S3Client client = server.client(counter);
        S3Backend b = S3Backend.builder().client(client).bucket(bucket).key(key).readableCopyMaxBytes(copyMax).build();
        State state = State.load(b, StateOptions.builder().operator("bench@harness").build())) {
      state.update(tx -> {
        for (int i = 0; i < hosts; i++) {
          tx.addHost(host(i));
        }
      });
      counter.clear();
      for (int w = 0; w < WRITES; w++) {
        state.addHost(host(w % hosts).withVar("deployed", "build-" + w));
      }
      report(hosts, name, counter.take(), counter.takeReceived());
    }
  }

  private static void single(S3TestServer server, String bucket, int hosts) throws Exception {
    CountingInterceptor counter = new CountingInterceptor();
    String key = "bench/" + UUID.randomUUID() + "/state.json";
    try (S3Client client = server.client(counter)) {
      io.infrastate.model.Snapshot s = io.infrastate.model.Snapshot.of(
          new io.infrastate.model.Metadata(io.infrastate.model.Metadata.FORMAT_VERSION, 1, UUID.randomUUID().toString(), null, null),
          java.util.Map.of(), java.util.Map.of());
      java.util.TreeMap<String, HostState> all = new java.util.TreeMap<>();
      for (int i = 0; i < hosts; i++) {
        all.put(host(i).name(), host(i));
      }
      s = io.infrastate.model.Snapshot.of(s.metadata(), all, java.util.Map.of());
      client.putObject(PutObjectRequest.builder().bucket(bucket).key(key).build(), RequestBody.fromBytes(StateCodec.encode(s)));
      counter.clear();
      for (int w = 0; w < WRITES; w++) {
        ResponseBytes<GetObjectResponse> cur = client.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(key).build());
        io.infrastate.model.Snapshot loaded = StateCodec.decode(cur.asByteArray(), key, "");
        java.util.TreeMap<String, HostState> h = new java.util.TreeMap<>(loaded.hosts());
        HostState changed = host(w % hosts).withVar("deployed", "build-" + w);
        h.put(changed.name(), changed);
        io.infrastate.model.Snapshot next = io.infrastate.model.Snapshot.of(
            loaded.metadata().withSerial(loaded.metadata().serial() + 1, java.time.Instant.now()), h, loaded.resources());
        client.putObject(PutObjectRequest.builder().bucket(bucket).key(key).ifMatch(cur.response().eTag()).build(),
            RequestBody.fromBytes(StateCodec.encode(next)));
      }
      report(hosts, "single object, GET + PUT If-Match", counter.take(), counter.takeReceived());
    }
  }

  private static void report(int hosts, String name, List<CountingInterceptor.Sent> sent, long received) {
    long puts = sent.stream().filter(x -> x.method().equals("PUT")).count();
    long lists = sent.stream().filter(x -> x.query().contains("list-type")).count();
    long reads = sent.stream().filter(x -> (x.method().equals("GET") || x.method().equals("HEAD")) && !x.query().contains("list-type")).count();
    long up = sent.stream().mapToLong(CountingInterceptor.Sent::bodyBytes).sum();
    long commits = sent.stream().filter(x -> x.method().equals("PUT") && (x.path().contains("/log/") || !x.path().contains(".infrastate")))
        .filter(x -> x.path().contains("/log/") || name.startsWith("single")).mapToLong(CountingInterceptor.Sent::bodyBytes).sum();
    System.out.printf(Locale.ROOT, "%-8d %-34s %6.2f %10.2f %7.2f %12.0f %12.0f %12.0f%n", hosts, name,
        puts / (double) WRITES, reads / (double) WRITES, lists / (double) WRITES, commits / (double) WRITES,
        up / (double) WRITES, received / (double) WRITES);
  }
}
