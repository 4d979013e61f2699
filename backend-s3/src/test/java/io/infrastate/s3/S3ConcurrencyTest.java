package io.infrastate.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.testkit.ChildWriters;
import io.infrastate.testkit.Commits;
import io.infrastate.testkit.JvmProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Many writers on one state through one real S3-compatible server: 8 threads in this JVM (each
 * with its own backend, as separate processes would have) and 3 child JVMs, 50 updates each, all
 * at once. Afterwards every update is present exactly once, the serials are contiguous, and no
 * serial was reported as committed by two writers.
 */
class S3ConcurrencyTest {
  static final int THREADS = 8;
  static final int PROCESSES = 3;
  static final int UPDATES = 50;

  /** One update: the writer's own resource plus the shared counter, in one transaction. */
  static Snapshot increment(State state, String writer, int i) {
    return increment(state, writer, i, new int[1]);
  }

  /** One update, counting in {@code runs[0]} how often its function ran (its attempts). */
  static Snapshot increment(State state, String writer, int i, int[] runs) {
    return state.update(tx -> {
      runs[0]++;
      ResourceState c = tx.getResource("counter:c").orElseThrow();
      int value = ((Number) c.data().get("value")).intValue();
      tx.addResource("counter:c", c.withData("value", value + 1));
      tx.addResource("update:" + writer + "-" + i,
          ResourceState.builder("update", writer + "-" + i).data("seen", value).build());
    });
  }

  @Test
  void threadsAndProcessesNeverLoseOrDuplicateAnUpdate(@TempDir Path tmp) throws Exception {
    try (S3TestServer server = S3TestServer.start(); S3Client client = server.client()) {
      String bucket = server.newBucket();
      String key = "concurrency/" + UUID.randomUUID() + "/state.json";
      StateOptions options = StateOptions.builder().operator("thread@test").build();
      try (S3Backend b = S3Backend.builder().client(client).bucket(bucket).key(key).build();
          State seed = State.load(b, options)) {
        seed.addResource("counter:c", ResourceState.builder("counter", "c").data("value", 0).build());
      }

      String uri = server.stateUri(bucket, key);
      List<JvmProcess> children = new ArrayList<>();
      Commits commits = new Commits();
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      try {
        for (int p = 0; p < PROCESSES; p++) {
          children.add(JvmProcess.start(S3WriterMain.class, tmp.resolve("child-" + p + ".log"), uri, "p" + p,
              String.valueOf(UPDATES)));
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<Long>>> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          String writer = "t" + t;
          S3Backend own = S3Backend.builder().client(client).bucket(bucket).key(key).build();
          State state = State.load(own, options);
          threads.add(pool.submit(() -> {
            List<Long> serials = new ArrayList<>();
            try (own; state) {
              go.await();
              for (int i = 0; i < UPDATES; i++) {
                serials.add(increment(state, writer, i).metadata().serial());
              }
            }
            return serials;
          }));
        }
        go.countDown();
        for (int t = 0; t < THREADS; t++) {
          for (long s : threads.get(t).get(5, TimeUnit.MINUTES)) {
            commits.add(s, "t" + t);
          }
        }
        for (JvmProcess child : children) {
          assertThat(child.await(5, TimeUnit.MINUTES)).as(child.output()).isZero();
          assertThat(commits.addOutput(child.output())).as(child.output()).isEqualTo(UPDATES);
        }
      } finally {
        pool.shutdownNow();
        children.forEach(JvmProcess::close);
      }

      int total = (THREADS + PROCESSES) * UPDATES;
      assertThat(commits.duplicates()).as("serials reported as committed by two writers").isEmpty();
      assertThat(commits.bySerial()).hasSize(total);
      assertThat(new TreeSet<>(commits.bySerial().keySet())).first().isEqualTo(2L);
      assertThat(new TreeSet<>(commits.bySerial().keySet())).last().isEqualTo((long) total + 1);

      String prefix = key + ".infrastate/log/";
      List<Long> log = new ArrayList<>();
      String token = null;
      do {
        var r = client.listObjectsV2(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).continuationToken(token).build());
        for (S3Object o : r.contents()) {
          log.add(Long.parseLong(o.key().substring(prefix.length(), prefix.length() + 20)));
        }
        token = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
      } while (token != null);
      List<Long> contiguous = new ArrayList<>();
      for (long s = 1; s <= total + 1; s++) {
        contiguous.add(s);
      }
      assertThat(log).isEqualTo(contiguous);

      try (S3Backend b = S3Backend.builder().client(client).bucket(bucket).key(key).build();
          State check = State.load(b, options)) {
        assertThat(check.getResource("counter:c").orElseThrow().data().get("value")).isEqualTo(total);
        assertThat(check.getResourcesByType("update")).hasSize(total);
        // each update saw a distinct counter value: no two updates were applied to the same version
        assertThat(check.getResourcesByType("update").stream().map(r -> r.data().get("seen")).distinct().count())
            .isEqualTo(total);
        assertThat(check.history(total + 1)).hasSize(total + 1);
      }
    }
  }

  /**
   * Eight writer processes, fifty updates each, default options, through the in-process S3
   * server: every update succeeds and is stored exactly once.
   */
  @Test
  void eightProcessesTimesFiftyUpdatesAllSucceedWithDefaultOptions(@TempDir Path tmp) throws Exception {
    eightWriters(tmp, false);
  }

  /** As above, beside a process that keeps a CPU busy. */
  @Test
  void eightProcessesTimesFiftyUpdatesAllSucceedBesideABusyCpu(@TempDir Path tmp) throws Exception {
    eightWriters(tmp, true);
  }

  private static void eightWriters(Path tmp, boolean busyCpu) throws Exception {
    int processes = 8;
    int updates = 50;
    try (S3TestServer server = S3TestServer.start(); S3Client client = server.client()) {
      String bucket = server.newBucket();
      String key = "processes/" + UUID.randomUUID() + "/state.json";
      try (S3Backend b = S3Backend.builder().client(client).bucket(bucket).key(key).build(); State seed = State.load(b)) {
        seed.addResource("counter:c", ResourceState.builder("counter", "c").data("value", 0).build());
      }
      String uri = server.stateUri(bucket, key);
      ChildWriters run = ChildWriters.run(S3WriterMain.class, tmp, processes, busyCpu,
          p -> new String[] {uri, "p" + p, String.valueOf(updates)});
      Commits commits = new Commits();
      run.outputs().forEach(commits::addOutput);
      assertThat(commits.duplicates()).as("serials reported as committed by two writers").isEmpty();
      int total = processes * updates;
      assertThat(commits.bySerial()).hasSize(total);
      System.out.println("S3, " + processes + " processes x " + updates + (busyCpu ? " beside a busy CPU" : "")
          + ": the most attempts one update took: " + run.maxAttempts());
      try (S3Backend b = S3Backend.builder().client(client).bucket(bucket).key(key).build(); State check = State.load(b)) {
        assertThat(check.getResource("counter:c").orElseThrow().data().get("value")).isEqualTo(total);
        assertThat(check.getResourcesByType("update")).hasSize(total);
        assertThat(check.metadata().serial()).isEqualTo(total + 1L);
      }
    }
  }
}
