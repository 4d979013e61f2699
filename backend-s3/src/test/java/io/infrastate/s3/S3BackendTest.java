package io.infrastate.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.UnknownBackendException;
import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import io.infrastate.spi.StoredState;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The S3 backend's own behaviour against a real S3-compatible server: layout, requests, history. */
class S3BackendTest {
  @RegisterExtension static final S3Bucket s3 = new S3Bucket();
  static CountingInterceptor counter = new CountingInterceptor();
  static S3Client counted;

  String key;

  @BeforeAll
  static void countingClient() {
    counted = s3.server().client(counter);
  }

  @AfterAll
  static void closeCountingClient() {
    counted.close();
  }

  @BeforeEach
  void freshKey() {
    key = "envs/" + UUID.randomUUID() + "/state.json";
    counter.clear();
  }

  S3Backend backend() {
    return backend(b -> b);
  }

  S3Backend backend(UnaryOperator<S3Backend.Builder> config) {
    return config.apply(S3Backend.builder().client(counted).bucket(s3.bucket()).key(key)).build();
  }

  static StateOptions options() {
    return StateOptions.builder().operator("tester@ci").retryBackoff(Duration.ofMillis(1)).build();
  }

  static HostState host(String name) {
    return HostState.builder(name).address("10.1.0." + Math.floorMod(name.hashCode(), 250)).port(22).user("deploy")
        .var("role", "web").build();
  }

  List<String> keys(String sub) {
    String prefix = key + ".infrastate/" + sub + "/";
    return s3.client().listObjectsV2(ListObjectsV2Request.builder().bucket(s3.bucket()).prefix(prefix).build()).contents().stream()
        .map(S3Object::key).map(k -> k.substring(prefix.length())).toList();
  }

  ResponseBytes<GetObjectResponse> get(String objectKey) {
    return s3.client().getObjectAsBytes(GetObjectRequest.builder().bucket(s3.bucket()).key(objectKey).build());
  }

  String logKey(long serial) {
    return key + ".infrastate/log/" + String.format("%020d", serial) + ".json";
  }

  // ------------------------------------------------------------------ layout

  @Test
  void everyVersionIsOneRecordAndTheCopyIsTheLatestStateJson() throws Exception {
    try (S3Backend b = backend(); State state = State.load(b, options())) {
      state.addHost(host("web01"));
      state.update(AuditEntry.of("provision").withReason("OPS-7"), tx -> {
        tx.addHost(host("web02"));
        tx.addResource("linode:1", ResourceState.builder("linode", "1").data("region", "eu").build());
      });
      state.removeHost("web01");

      assertThat(keys("log")).containsExactly(
          "00000000000000000001.json", "00000000000000000002.json", "00000000000000000003.json");
      String first = get(logKey(1)).asUtf8String();
      String second = get(logKey(2)).asUtf8String();
      String third = get(logKey(3)).asUtf8String();
      assertThat(first).startsWith("{\"infrastate_log\":1,\"serial\":1,").contains("\"kind\":\"full\"");
      assertThat(second).contains("\"kind\":\"delta\"", "\"operator\":\"tester@ci\"", "\"operation\":\"provision\"",
          "\"reason\":\"OPS-7\"", "\"web02\"", "\"linode:1\"").doesNotContain("\"web01\"");
      assertThat(third).contains("\"removed_hosts\":[\"web01\"]").doesNotContain("\"web02\"");

      b.flushDerived(); // the copy is written in the background
      ResponseBytes<GetObjectResponse> copy = get(key);
      assertThat(copy.asByteArray()).isEqualTo(StateCodec.encode(state.snapshot()));
      assertThat(copy.response().metadata()).containsEntry("infrastate-serial", "3")
          .containsEntry("infrastate-lineage", state.metadata().lineage());
    }
  }

  @Test
  void aWriteIsOneCreateOnlyPutOfTheChangePlusTheCopyAndReadsNothing() throws Exception {
    try (S3Backend b = backend(); State state = State.load(b, options())) {
      state.update(tx -> {
        for (int i = 0; i < 300; i++) {
          tx.addHost(host(String.format("host%03d", i)));
        }
      });
      b.flushDerived();
      counter.clear();
      state.addHost(host("web-new"));
      b.flushDerived(); // the copy is written in the background, after the commit
      List<CountingInterceptor.Sent> sent = counter.take();
      assertThat(sent).extracting(CountingInterceptor.Sent::method).containsExactly("PUT", "PUT");
      CountingInterceptor.Sent commit = sent.get(0);
      assertThat(commit.path()).endsWith("/log/00000000000000000002.json");
      assertThat(commit.headers()).containsEntry("if-none-match", "*");
      assertThat(sent.get(1).path()).endsWith("/state.json");
      long stateBytes = StateCodec.encode(state.snapshot()).length;
      assertThat(commit.bodyBytes()).isLessThan(1_000).isLessThan(stateBytes / 50);
      assertThat(sent.get(1).bodyBytes()).isEqualTo(stateBytes);
    }
  }

  @Test
  void aboveTheCopyLimitTheCopyIsWrittenOnlyAtCheckpoints() throws Exception {
    try (S3Backend b = backend(x -> x.readableCopyMaxBytes(500).checkpointInterval(4));
        State state = State.load(b, options())) {
      for (int i = 1; i <= 3; i++) {
        state.addHost(host("seed" + i));
      }
      b.flushDerived();
      counter.clear();
      state.addHost(host("x4")); // serial 4: checkpoint and copy
      b.flushDerived();
      assertThat(counter.take()).extracting(s -> s.method() + " " + s.path().substring(s.path().lastIndexOf('/') + 1))
          .containsExactly("PUT 00000000000000000004.json", "PUT 00000000000000000004.json", "PUT state.json");
      state.addHost(host("x5")); // serial 5: the commit alone
      b.flushDerived();
      assertThat(counter.take()).hasSize(1);
      assertThat(get(key).response().metadata()).containsEntry("infrastate-serial", "4");
      assertThat(keys("checkpoints")).containsExactly("00000000000000000004.json");
    }
  }

  /**
   * Holds PUTs of the readable copy (the first only, or all) until {@code release} opens, counting
   * down {@code held} when one is held.
   */
  software.amazon.awssdk.core.interceptor.ExecutionInterceptor holdCopyPuts(CountDownLatch held,
      CountDownLatch release, boolean firstOnly) {
    java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean(true);
    String copy = "/" + key;
    return new software.amazon.awssdk.core.interceptor.ExecutionInterceptor() {
      @Override
      public void beforeTransmission(software.amazon.awssdk.core.interceptor.Context.BeforeTransmission context,
          software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
        var r = context.httpRequest();
        if (r.method().name().equals("PUT") && r.encodedPath().endsWith(copy)
            && (!firstOnly || armed.compareAndSet(true, false))) {
          held.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    };
  }

  @Test
  void derivedObjectsAreWrittenAfterTheWriteReturnsAndCloseWaitsForThem() throws Exception {
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    software.amazon.awssdk.core.interceptor.ExecutionInterceptor holdFirstCopy = holdCopyPuts(held, release, true);
    try (S3Client client = s3.server().client(holdFirstCopy)) {
      try (S3Backend b = S3Backend.builder().client(client).bucket(s3.bucket()).key(key).checkpointInterval(2).build();
          State state = State.load(b, options())) {
        try {
          state.addHost(host("h1")); // serial 1: committed; the PUT of its copy is held in the background
          assertThat(held.await(60, TimeUnit.SECONDS)).isTrue();
          state.addHost(host("h2")); // serial 2: returns although the copy of 1 is still held
          state.addHost(host("h3"));
          assertThat(keys("log")).hasSize(3);
          assertThat(keys("checkpoints")).isEmpty(); // checkpoint 2 waits behind the held copy
          assertThat(s3.client().listObjectsV2(r -> r.bucket(s3.bucket()).prefix(key)).contents())
              .extracting(S3Object::key).doesNotContain(key);
        } finally {
          release.countDown();
        }
      } // close() waits for the queued derived objects
    }
    assertThat(keys("checkpoints")).containsExactly("00000000000000000002.json");
    assertThat(get(key).response().metadata()).containsEntry("infrastate-serial", "3");
  }

  @Test
  @org.junit.jupiter.api.Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard: close must not wait forever
  void closeWaitsForTheDerivedObjectsOnlyUpToItsBoundAndLosesNothing() throws Exception {
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    software.amazon.awssdk.core.interceptor.ExecutionInterceptor holdCopies = holdCopyPuts(held, release, false);
    try (S3Client client = s3.server().client(holdCopies)) {
      try {
        try (S3Backend b = S3Backend.builder().client(client).bucket(s3.bucket()).key(key)
                .closeTimeout(Duration.ofMillis(200)).build();
            State state = State.load(b, options())) {
          state.addHost(host("h1"));
          assertThat(held.await(60, TimeUnit.SECONDS)).isTrue();
          state.addHost(host("h2"));
        } // close gives up on the held copy after its bound
        assertThat(release.getCount()).isEqualTo(1); // close returned while the copy was still held
      } finally {
        release.countDown();
      }
    }
    assertThat(keys("log")).hasSize(2); // the versions are durable; only derived objects were left
    try (S3Backend b = backend(); State state = State.load(b, options())) {
      assertThat(state.allHosts()).extracting(HostState::name).containsExactly("h1", "h2");
      b.flushDerived(); // the load rewrites the copy it finds behind
    }
    assertThat(get(key).response().metadata()).containsEntry("infrastate-serial", "2");
  }

  @Test
  void aBackgroundCheckpointWithTheDefaultRuleIsWhatAFreshReaderLoads() throws Exception {
    Snapshot written;
    try (S3Backend b = backend(); State state = State.load(b, options())) {
      for (int i = 1; i <= 3; i++) {
        state.addHost(host("small" + i));
      }
      // one record heavier than the default 64 KiB of log: a checkpoint is due, written after the write returns
      state.addHost(HostState.builder("big").address("10.9.9.9").var("blob", "x".repeat(70_000)).build());
      written = state.snapshot();
    } // close waits for it
    assertThat(keys("checkpoints")).containsExactly("00000000000000000004.json");
    counter.clear();
    try (S3Backend fresh = backend()) {
      assertThat(fresh.load().orElseThrow().snapshot()).isEqualTo(written);
    }
    assertThat(counter.take()).filteredOn(s -> s.method().equals("GET") && !s.query().contains("list-type"))
        .extracting(s -> s.path().substring(s.path().indexOf(".infrastate/") + 12))
        .containsExactly("checkpoints/00000000000000000004.json"); // no log record read
  }

  @Test
  void checkpointsFollowTheBytesOfLogNotTheNumberOfVersions() throws Exception {
    try (S3Backend b = backend(x -> x.checkpointBytes(40_000)); State state = State.load(b, options())) {
      for (int i = 1; i <= 3; i++) {
        state.addHost(host("small" + i)); // about 5 KB each with the weight of its request
      }
      b.flushDerived();
      assertThat(keys("checkpoints")).isEmpty();
      state.addHost(HostState.builder("big").address("10.9.9.9").var("blob", "x".repeat(40_000)).build());
      b.flushDerived();
      assertThat(keys("checkpoints")).containsExactly("00000000000000000004.json"); // one record, 40 KB
      for (int i = 5; i <= 7; i++) {
        state.addHost(host("small" + i));
      }
      b.flushDerived();
      assertThat(keys("checkpoints")).containsExactly("00000000000000000004.json");
      try (S3Backend cold = backend()) {
        assertThat(cold.load().orElseThrow().snapshot()).isEqualTo(state.snapshot());
      }
    }
  }

  // ------------------------------------------------------------------ reading

  @Test
  void loadIfChangedIsOneListAndRecordsAreFetchedOnce() throws Exception {
    try (S3Backend writer = S3Backend.builder().client(s3.client()).bucket(s3.bucket()).key(key).build();
        State a = State.load(writer, options());
        S3Backend reader = backend()) {
      a.addHost(host("web01"));
      StoredState loaded = reader.load().orElseThrow();
      writer.flushDerived();
      reader.flushDerived();
      counter.clear();
      assertThat(reader.loadIfChanged(loaded.token())).isEmpty();
      assertThat(counter.take()).extracting(CountingInterceptor.Sent::method).containsExactly("GET");

      a.addHost(host("web02"));
      a.addHost(host("web03"));
      writer.flushDerived();
      counter.take();
      StoredState changed = reader.loadIfChanged(loaded.token()).orElseThrow();
      assertThat(changed.snapshot()).isEqualTo(a.snapshot());
      List<CountingInterceptor.Sent> sent = counter.take();
      assertThat(sent).filteredOn(s -> s.query().contains("list-type")).hasSize(1);
      assertThat(sent).filteredOn(s -> s.path().contains("/log/0")).hasSize(2);

      // the same records again (history, a second handle's refresh): listed, never fetched again
      reader.history(10);
      reader.loadIfChanged(loaded.token());
      assertThat(counter.take()).allSatisfy(s -> assertThat(s.query()).contains("list-type"));
    }
  }

  @Test
  void aColdLoadReadsTheNewestCheckpointAndOnlyTheRecordsAfterIt() throws Exception {
    try (S3Backend b = backend(x -> x.checkpointInterval(4)); State state = State.load(b, options())) {
      for (int i = 1; i <= 10; i++) {
        state.addHost(host("h" + i));
      }
      b.flushDerived();
      assertThat(keys("checkpoints")).containsExactly("00000000000000000004.json", "00000000000000000008.json");
      counter.clear();
      try (S3Backend cold = backend(x -> x.checkpointInterval(4))) {
        Snapshot loaded = cold.load().orElseThrow().snapshot();
        assertThat(loaded).isEqualTo(state.snapshot());
      }
      List<CountingInterceptor.Sent> sent = counter.take();
      assertThat(sent).filteredOn(s -> s.method().equals("GET") && !s.query().contains("list-type"))
          .extracting(s -> s.path().substring(s.path().indexOf(".infrastate/") + 12))
          .containsExactlyInAnyOrder("log/00000000000000000010.json", "log/00000000000000000009.json",
              "checkpoints/00000000000000000008.json");
      assertThat(sent).filteredOn(s -> s.method().equals("PUT")).isEmpty();
    }
  }

  @Test
  void aRecordWrittenByAnotherToolAsBareStateJsonIsAFullVersion() throws Exception {
    try (S3Backend b = backend(); State state = State.load(b, options())) {
      state.addHost(host("web01"));
      Snapshot byTool = Snapshot.of(state.metadata().withSerial(2, Instant.parse("2026-01-02T00:00:00Z")),
          Map.of("db01", host("db01")), Map.of());
      s3.client().putObject(PutObjectRequest.builder().bucket(s3.bucket()).key(logKey(2)).ifNoneMatch("*").build(),
          RequestBody.fromBytes(StateCodec.encode(byTool)));
      assertThat(state.refresh().allHosts()).extracting(HostState::name).containsExactly("db01");
      state.addHost(host("web09"));
      try (S3Backend other = backend()) {
        assertThat(other.load().orElseThrow().snapshot().hosts()).containsOnlyKeys("db01", "web09");
        assertThat(other.history(3)).extracting(VersionInfo::serial).containsExactly(3L, 2L, 1L);
        assertThat(other.history(3).get(1).operator()).isEmpty();
      }
    }
  }

  // ------------------------------------------------------------------ history

  @Test
  void historyIsTheLogAndRollbackIsANewFullRecord() throws Exception {
    try (S3Backend b = backend(x -> x.checkpointInterval(3)); State state = State.load(b, options())) {
      for (int i = 1; i <= 7; i++) {
        state.addHost(host("h" + i), AuditEntry.of("step " + i));
      }
      List<VersionInfo> history = state.history();
      assertThat(history).extracting(VersionInfo::serial).containsExactly(7L, 6L, 5L, 4L, 3L, 2L, 1L);
      assertThat(history).extracting(VersionInfo::operation).startsWith("step 7", "step 6");
      try (S3Backend cold = backend(x -> x.checkpointInterval(3))) {
        for (long s = 1; s <= 7; s++) {
          assertThat(cold.at(s).orElseThrow().snapshot().hosts()).hasSize((int) s);
        }
        assertThat(cold.at(8)).isEmpty();
      }
      state.rollback(2, AuditEntry.DEFAULT.withReason("bad deploy"));
      assertThat(get(logKey(8)).asUtf8String()).contains("\"kind\":\"full\"", "rollback to version 2", "bad deploy");
      try (S3Backend cold = backend()) {
        assertThat(cold.load().orElseThrow().snapshot().hosts()).containsOnlyKeys("h1", "h2");
      }
    }
  }

  @Test
  void pruningKeepsTheNewestCheckpointsAndTheLogFromThem() throws Exception {
    try (S3Backend b = backend(x -> x.checkpointInterval(3).retainCheckpoints(1)); State state = State.load(b, options())) {
      for (int i = 1; i <= 10; i++) {
        state.addHost(host("h" + i));
      }
      b.flushDerived();
      assertThat(keys("checkpoints")).containsExactly("00000000000000000009.json");
      assertThat(keys("log")).containsExactly("00000000000000000009.json", "00000000000000000010.json");
      try (S3Backend cold = backend()) {
        assertThat(cold.load().orElseThrow().snapshot()).isEqualTo(state.snapshot());
        assertThat(cold.history(100)).extracting(VersionInfo::serial).containsExactly(10L, 9L);
        assertThat(cold.at(2)).isEmpty();
        assertThat(cold.at(9).orElseThrow().snapshot().hosts()).hasSize(9);
      }
    }
  }

  // ------------------------------------------------------------------ import

  @Test
  void aStateJsonAtTheKeyWithoutLogIsImportedAsTheBaseWithItsSerial() throws Exception {
    Snapshot fromFileBackend = Snapshot.of(
        new Metadata(Metadata.FORMAT_VERSION, 5, UUID.randomUUID().toString(), Instant.parse("2025-01-01T00:00:00Z"),
            Instant.parse("2025-02-01T00:00:00Z")),
        Map.of("old01", host("old01")), Map.of());
    s3.client().putObject(PutObjectRequest.builder().bucket(s3.bucket()).key(key).build(), RequestBody.fromBytes(StateCodec.encode(fromFileBackend)));
    try (S3Backend b = backend(); State state = State.load(b, options())) {
      assertThat(state.metadata().serial()).isEqualTo(5);
      state.addHost(host("new01"));
      assertThat(keys("log")).containsExactly("00000000000000000006.json");
      assertThat(get(logKey(6)).asUtf8String()).contains("\"kind\":\"full\"", "old01", "new01");
      assertThat(state.metadata().lineage()).isEqualTo(fromFileBackend.metadata().lineage());
    }
  }

  @Test
  void twoFirstCommitsRaceAndOneWins() throws Exception {
    try (S3Backend b1 = backend(); S3Backend b2 = backend();
        State s1 = State.load(b1, options()); State s2 = State.load(b2, options())) {
      s1.addHost(host("one"));
      s2.addHost(host("two")); // created from nothing too: must conflict, adopt s1's lineage, re-apply
      assertThat(s2.metadata().lineage()).isEqualTo(s1.metadata().lineage());
      assertThat(s2.allHosts()).extracting(HostState::name).containsExactly("one", "two");
      assertThat(keys("log")).hasSize(2);
    }
  }

  // ------------------------------------------------------------------ configuration

  @Test
  void serverSideEncryptionIsRequestedOnEveryWrite() throws Exception {
    try (S3Backend b = backend(x -> x.sseKms("arn:aws:kms:us-east-1:111122223333:key/test"))) {
      try (State state = State.load(b, options())) {
        counter.clear();
        state.addHost(host("web01"));
      } catch (io.infrastate.model.BackendException e) {
        // S3Proxy has no KMS; what matters is what was asked for
      }
      assertThat(counter.take()).filteredOn(s -> s.method().equals("PUT")).isNotEmpty().allSatisfy(s -> {
        assertThat(s.headers()).containsEntry("x-amz-server-side-encryption", "aws:kms")
            .containsEntry("x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:111122223333:key/test");
      });
    }
  }

  @Test
  void stateOpenFindsTheBackendByUriAndTheDefaultCredentialChain() throws Exception {
    String uri = s3.server().stateUri(s3.bucket(), key) + "&checkpointInterval=2";
    try (S3Credentials credentials = S3Credentials.set()) {
      try (State s = State.open(uri, options())) {
        assertThat(s.location()).isEqualTo("s3://" + s3.bucket() + "/" + key);
        s.addHost(host("web01"));
        s.addHost(host("web02"));
      }
      try (State s = State.open(uri, options())) {
        assertThat(s.allHosts()).extracting(HostState::name).containsExactly("web01", "web02");
      }
      assertThat(keys("checkpoints")).containsExactly("00000000000000000002.json");
    }
  }

  @Test
  void malformedUrisAreRefusedWithTheReason() {
    assertThatThrownBy(() -> S3BackendProvider.parse(URI.create("s3://bucket/state.json?colour=red")))
        .isInstanceOf(UnknownBackendException.class).hasMessageContaining("Unknown parameter 'colour'");
    assertThatThrownBy(() -> S3BackendProvider.parse(URI.create("s3://AKIA:secret@bucket/state.json")))
        .isInstanceOf(UnknownBackendException.class).hasMessageContaining("user info").hasMessageNotContaining("secret");
    assertThatThrownBy(() -> S3BackendProvider.parse(URI.create("s3://bucket/")))
        .isInstanceOf(UnknownBackendException.class).hasMessageContaining("names no object key");
    assertThatThrownBy(() -> S3BackendProvider.parse(URI.create("s3://bucket/s.json?checkpointInterval=0")))
        .isInstanceOf(UnknownBackendException.class).hasMessageContaining("checkpointInterval");
    assertThatThrownBy(() -> S3BackendProvider.parse(URI.create("s3://bucket/s.json?sse=rot13")))
        .isInstanceOf(UnknownBackendException.class).hasMessageContaining("rot13");
    S3Backend.Builder ok = S3BackendProvider.parse(URI.create(
        "s3://bucket/a%20b/state.json?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000&pathStyle=true&sse=aws:kms&kmsKeyId=k1"));
    try (S3Backend b = ok.build()) {
      assertThat(b.bucket()).isEqualTo("bucket");
      assertThat(b.key()).isEqualTo("a b/state.json");
    }
  }

  @Test
  void locksLiveBesideTheState() throws Exception {
    try (S3Backend b = backend(); var locks = b.lockProvider(LockOptions.builder().operator("ops@ci").build())) {
      try (Lock lock = locks.tryAcquire("deploy", LockRequest.builder().operation("deploy").build()).orElseThrow()) {
        assertThat(keys("locks")).containsExactly("deploy.lock");
        assertThat(new String(get(key + ".infrastate/locks/deploy.lock").asByteArray(), StandardCharsets.UTF_8))
            .contains(lock.id(), "ops@ci");
      }
      // the released record stays (it carries the fencing token on); no claim is left behind
      assertThat(keys("locks")).containsExactly("deploy.lock");
      assertThat(new String(get(key + ".infrastate/locks/deploy.lock").asByteArray(), StandardCharsets.UTF_8))
          .contains("\"released\": true");
      assertThat(locks.inspect("deploy")).isEmpty();
    }
  }
}
