package io.infrastate.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.CommitOutcomeUnknownException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.model.Snapshot;
import io.infrastate.StateOptions;
import io.infrastate.Transaction;
import io.infrastate.codec.StateCodec;
import io.infrastate.testkit.JvmProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Faults against a real server: outages before and during a write, lost replies, wrong
 * credentials, a writer killed between the commit and the derived objects, damaged records. Each
 * test checks that the error is clear, nothing is committed twice and nothing is lost.
 */
class S3BackendFaultTest {
  S3TestServer server;
  S3Client raw;
  String bucket;
  String key;

  @BeforeEach
  void start() throws Exception {
    server = S3TestServer.start(); // one per test: these tests stop it
    raw = server.client();
    bucket = server.newBucket();
    key = "faults/" + UUID.randomUUID() + "/state.json";
  }

  @AfterEach
  void stop() throws Exception {
    raw.close();
    server.close();
  }

  static StateOptions options() {
    return StateOptions.builder().operator("tester@ci").retryBackoff(Duration.ofMillis(1)).build();
  }

  static HostState host(String name) {
    return HostState.builder(name).address("10.2.0.1").port(22).build();
  }

  S3Backend backend(S3Client client) {
    return S3Backend.builder().client(client).bucket(bucket).key(key).checkpointInterval(4).build();
  }

  List<Long> logSerials() {
    String prefix = key + ".infrastate/log/";
    return raw.listObjectsV2(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build()).contents().stream()
        .map(S3Object::key).map(k -> Long.parseLong(k.substring(prefix.length(), prefix.length() + 20))).toList();
  }

  List<String> checkpoints() {
    String prefix = key + ".infrastate/checkpoints/";
    return raw.listObjectsV2(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build()).contents().stream()
        .map(S3Object::key).map(k -> k.substring(prefix.length())).toList();
  }

  String copySerial() {
    return raw.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(key).build()).response().metadata()
        .get("infrastate-serial");
  }

  String logKey(long serial) {
    return key + ".infrastate/log/" + String.format("%020d", serial) + ".json";
  }

  @Test
  void serverDownBeforeTheWriteFailsRetryablyAndCommitsNothing() throws Exception {
    try (S3Backend b = backend(raw); State state = State.load(b, options())) {
      state.addHost(host("web01"));
      server.stop();
      assertThatThrownBy(() -> state.addHost(host("web02")))
          .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.retryable()).isTrue())
          .isNotInstanceOf(CommitOutcomeUnknownException.class)
          .hasMessageContaining("log/00000000000000000002.json")
          .hasMessageContaining("nothing was stored");
      assertThat(state.hasHost("web02")).isFalse();
      server.restart();
      assertThat(logSerials()).containsExactly(1L);
      state.addHost(host("web02"));
      assertThat(logSerials()).containsExactly(1L, 2L);
    }
  }

  @Test
  void serverStoppedBetweenTheCommitAndTheCopyKeepsTheCommitAndTheCopyIsRepaired() throws Exception {
    FaultInterceptor fault = new FaultInterceptor();
    try (S3Client client = server.client(fault); S3Backend b = backend(client); State state = State.load(b, options())) {
      state.addHost(host("web01"));
      b.flushDerived(); // the copy of version 1 is written
      fault.arm("PUT", "/log/", server::stop); // log/2 is stored and answered; then the server goes away
      state.addHost(host("web02")); // durable: succeeds although the copy could not be written
      assertThat(state.metadata().serial()).isEqualTo(2);
      server.restart();
      // the background copy of version 2 failed, or was still being retried by the SDK and landed
      // once the server was back: either way the commit stands and the copy is repaired below
      assertThat(copySerial()).isIn("1", "2");
      try (S3Backend fresh = backend(raw); State check = State.load(fresh, options())) {
        assertThat(check.allHosts()).extracting(HostState::name).containsExactly("web01", "web02");
      }
      assertThat(copySerial()).isEqualTo("2");
      assertThat(logSerials()).containsExactly(1L, 2L);
    }
  }

  @Test
  void serverStoppedAfterStoringTheCommitLosesNothingAndCommitsNothingTwice() throws Exception {
    FaultInterceptor fault = new FaultInterceptor();
    try (S3Client client = server.client(fault); S3Backend b = backend(client); State state = State.load(b, options())) {
      state.addHost(host("web01"));
      state.addHost(host("web02"));
      b.flushDerived(); // the copy of version 2 is written
      fault.arm("PUT", "/log/", () -> { // the server stores log/3, then goes away before the reply arrives
        server.stop();
        throw SdkClientException.create("connection reset", new java.io.IOException("Connection reset"));
      });
      CommitOutcomeUnknownException unknown = catchThrowableOfType(
          () -> state.addHost(host("web03")), CommitOutcomeUnknownException.class);
      assertThat(unknown).isNotNull();
      assertThat(unknown.retryable()).isTrue();
      assertThat(unknown.serial()).isEqualTo(3);
      assertThat(unknown.location()).isEqualTo(b.location());
      assertThat(unknown).hasMessageContaining("is unknown").hasMessageContaining("may or may not be stored")
          .hasMessageContaining("log/00000000000000000003.json").hasMessageContaining(unknown.writeId());
      assertThat(state.hasHost("web03")).isFalse(); // not published: the outcome was unknown

      server.restart();
      assertThat(logSerials()).containsExactly(1L, 2L, 3L);
      assertThat(copySerial()).isEqualTo("2"); // the copy lags the commit that lost its reply
      assertThat(b.committedBy(3, unknown.writeId())).isTrue(); // the record names the write
      // the caller retries with the exception: the handle finds web03 stored and commits no duplicate
      state.addHost(host("web03"), AuditEntry.DEFAULT.retrying(unknown));
      assertThat(state.getHost("web03")).isPresent();
      try (S3Backend fresh = backend(raw); State check = State.load(fresh, options())) {
        assertThat(check.allHosts()).extracting(HostState::name).containsExactly("web01", "web02", "web03");
        assertThat(check.history()).extracting(v -> v.operation()).containsExactly("add host web03", "add host web02", "add host web01");
      }
      assertThat(logSerials()).containsExactly(1L, 2L, 3L);
      assertThat(copySerial()).isEqualTo("3"); // repaired by the load
    }
  }

  @Test
  void aLostReplyIsRecognisedAsThisWritersOwnCommit() throws Exception {
    FaultInterceptor fault = new FaultInterceptor();
    try (S3Client client = server.client(fault); S3Backend b = backend(client); State state = State.load(b, options())) {
      state.addHost(host("web01"));
      fault.arm("PUT", "/log/", () -> {
        throw SdkClientException.create("simulated connection reset after the request was stored",
            new java.io.IOException("Connection reset"));
      });
      state.addHost(host("web02"));
      assertThat(state.metadata().serial()).isEqualTo(2);
      assertThat(logSerials()).containsExactly(1L, 2L);
      try (S3Backend fresh = backend(raw)) {
        assertThat(fresh.load().orElseThrow().snapshot()).isEqualTo(state.snapshot());
      }
    }
  }

  static final String COUNTER = "counter:deploys";

  /** Increments a counter: a change that must never be applied twice. */
  static final Consumer<Transaction> COUNT_DEPLOY = tx -> {
    ResourceState c = tx.getResource(COUNTER).orElseThrow();
    tx.addResource(COUNTER, c.withData("count", ((Number) c.data().get("count")).longValue() + 1));
  };

  static long count(State state) {
    return ((Number) state.getResource(COUNTER).orElseThrow().data().get("count")).longValue();
  }

  /** The snippet of CommitOutcomeUnknownException's documentation, as written there. */
  static void countADeploy(State state, Runnable storageComesBack) {
    Consumer<Transaction> countDeploy = COUNT_DEPLOY;
    try {
      state.update(AuditEntry.of("count a deploy"), countDeploy);
    } catch (CommitOutcomeUnknownException e) {
      storageComesBack.run();
      // later, once storage answers again: counts once, whether or not the first write was stored
      state.update(AuditEntry.of("count a deploy").retrying(e), countDeploy);
    }
  }

  void startCounter(State state) {
    state.addResource(COUNTER, ResourceState.builder("counter", "deploys").data("count", 0).build());
  }

  boolean restarted;

  Runnable restart() {
    return () -> {
      restarted = true;
      try {
        server.restart();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
  }

  @Test
  void aRetryAfterAnUnknownOutcomeThatWasStoredCountsOnce() throws Exception {
    FaultInterceptor fault = new FaultInterceptor();
    try (S3Client client = server.client(fault); S3Backend b = backend(client); State state = State.load(b, options())) {
      startCounter(state);
      fault.arm("PUT", "/log/", () -> { // stored, then the server goes away before the reply arrives
        server.stop();
        throw SdkClientException.create("connection reset", new java.io.IOException("Connection reset"));
      });
      countADeploy(state, restart());
      assertThat(restarted).as("the first write's outcome was unknown").isTrue();
      assertThat(count(state)).isEqualTo(1);
      assertThat(logSerials()).containsExactly(1L, 2L); // the retry stored nothing
    }
    try (S3Backend fresh = backend(raw); State check = State.load(fresh, options())) {
      assertThat(count(check)).isEqualTo(1);
    }
  }

  @Test
  void aRetryAfterAnUnknownOutcomeThatWasNotStoredCountsOnce() throws Exception {
    FaultInterceptor fault = new FaultInterceptor();
    try (S3Client client = server.client(fault); S3Backend b = backend(client); State state = State.load(b, options())) {
      startCounter(state);
      fault.armBeforeSending("PUT", "/log/", () -> { // the request never arrives, and the server goes away
        server.stop();
        throw SdkClientException.create("read timed out", new java.net.SocketTimeoutException("Read timed out"));
      });
      countADeploy(state, restart());
      assertThat(restarted).as("the first write's outcome was unknown").isTrue();
      assertThat(count(state)).isEqualTo(1);
      assertThat(logSerials()).containsExactly(1L, 2L);
    }
    try (S3Backend fresh = backend(raw); State check = State.load(fresh, options())) {
      assertThat(count(check)).isEqualTo(1);
    }
  }

  @Test
  void aLostReplyWhileAnotherWriterTookTheSerialIsAConflictAndTheChangeIsAppliedOnce() throws Exception {
    FaultInterceptor fault = new FaultInterceptor();
    try (S3Client client = server.client(fault); S3Backend b = backend(client); State state = State.load(b, options())) {
      startCounter(state);
      fault.armBeforeSending("PUT", "/log/", () -> { // another machine commits serial 2 meanwhile
        try (S3Backend other = backend(raw); State them = State.load(other, options())) {
          them.update(AuditEntry.of("count a deploy"), COUNT_DEPLOY);
        }
        throw SdkClientException.create("read timed out", new java.net.SocketTimeoutException("Read timed out"));
      });
      state.update(AuditEntry.of("count a deploy"), COUNT_DEPLOY); // resolved: not ours, so re-applied on 2
      assertThat(count(state)).isEqualTo(2);
      assertThat(logSerials()).containsExactly(1L, 2L, 3L);
    }
  }

  @Test
  void wrongCredentialsAreRefusedClearlyWithoutTheSecret() throws Exception {
    String wrong = "definitely-not-the-secret-4242";
    try (S3Client client = server.client(wrong); S3Backend b = backend(client)) {
      assertThatThrownBy(() -> State.load(b, options()))
          .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.retryable()).isFalse())
          .hasMessageContaining("HTTP 403")
          .hasMessageContaining("Check the credentials")
          .hasMessageContaining("s3://" + bucket)
          .hasMessageNotContaining(wrong)
          .hasMessageNotContaining(S3TestServer.SECRET_KEY);
    }
    assertThat(logSerials()).isEmpty();
  }

  @Test
  void aTornSequenceLeftByAKilledWriterIsRepairedByTheNextLoad(@TempDir Path tmp) throws Exception {
    try (S3Backend b = backend(raw); State state = State.load(b, options())) {
      for (int i = 1; i <= 3; i++) {
        state.addHost(host("h" + i));
      }
    }
    try (JvmProcess child = JvmProcess.start(TornWriterMain.class, tmp.resolve("torn.log"),
        server.endpoint().toString(), bucket, key, "4")) {
      assertThat(child.await(120, TimeUnit.SECONDS)).as(child.output()).isEqualTo(137);
      assertThat(child.output()).contains("committed; halting");
    }
    // torn: version 4 is committed, but its checkpoint is missing and the copy still says 3
    assertThat(logSerials()).containsExactly(1L, 2L, 3L, 4L);
    assertThat(checkpoints()).isEmpty();
    assertThat(copySerial()).isEqualTo("3");

    try (S3Backend b = backend(raw); State state = State.load(b, options())) {
      assertThat(state.metadata().serial()).isEqualTo(4);
      assertThat(state.allHosts()).extracting(HostState::name).containsExactly("h1", "h2", "h3", "torn");
      b.flushDerived(); // the repairs run in the background
      assertThat(checkpoints()).containsExactly("00000000000000000004.json");
      assertThat(copySerial()).isEqualTo("4");
      state.addHost(host("h5"));
      assertThat(logSerials()).containsExactly(1L, 2L, 3L, 4L, 5L);
    }
  }

  @Test
  void aDamagedRecordStopsLoadingAndNamesTheObject() throws Exception {
    try (S3Backend b = backend(raw); State state = State.load(b, options())) {
      for (int i = 1; i <= 3; i++) {
        state.addHost(host("h" + i));
      }
    }
    raw.putObject(PutObjectRequest.builder().bucket(bucket).key(logKey(2)).build(),
        RequestBody.fromString("{\"infrastate_log\":1,\"serial\":2,\"lineage\":"));
    try (S3Backend b = backend(raw)) {
      assertThatThrownBy(b::load)
          .isInstanceOfSatisfying(CorruptStateException.class, e -> {
            assertThat(e.location()).isEqualTo("s3://" + bucket + "/" + logKey(2));
            assertThat(e.getMessage()).contains("log/00000000000000000002.json", "header");
          });
    }
  }

  @Test
  void aDamagedNewestRecordStopsWritersAndIsNeverOverwritten() throws Exception {
    try (S3Backend b = backend(raw); State state = State.load(b, options())) {
      state.addHost(host("h1"));
      state.addHost(host("h2"));
      byte[] garbage = "not json at all".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      raw.putObject(PutObjectRequest.builder().bucket(bucket).key(logKey(3)).ifNoneMatch("*").build(), RequestBody.fromBytes(garbage));
      assertThatThrownBy(() -> state.addHost(host("h3")))
          .isInstanceOf(CorruptStateException.class)
          .hasMessageContaining("log/00000000000000000003.json");
      assertThat(logSerials()).containsExactly(1L, 2L, 3L);
      assertThat(raw.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(logKey(3)).build()).asByteArray()).isEqualTo(garbage);
      assertThat(state.hasHost("h3")).isFalse();
    }
  }

  @Test
  void aGapInTheLogIsDamage() throws Exception {
    try (S3Backend b = backend(raw); State state = State.load(b, options())) {
      state.addHost(host("h1"));
      state.addHost(host("h2"));
      state.addHost(host("h3"));
    }
    raw.deleteObject(r -> r.bucket(bucket).key(logKey(2)));
    try (S3Backend b = backend(raw)) {
      assertThatThrownBy(b::load).isInstanceOf(CorruptStateException.class).hasMessageContaining("missing serial 2");
    }
  }

  String checkpointKey(long serial) {
    return key + ".infrastate/checkpoints/" + String.format("%020d", serial) + ".json";
  }

  byte[] read(String objectKey) {
    return raw.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(objectKey).build()).asByteArray();
  }

  @Test
  void aDamagedCheckpointIsNeverTrustedAndIsRebuiltFromTheLog() throws Exception {
    damageCheckpointFour(five -> "{\"metadata\": 7}".getBytes(StandardCharsets.UTF_8)); // not a state
  }

  @Test
  void aCheckpointHoldingAnotherSerialThanItsNameIsNeverTrusted() throws Exception {
    damageCheckpointFour(StateCodec::encode); // a sound document of version 5
  }

  /** Writes 5 versions (checkpoint 4), puts damage over checkpoint 4, and checks that a load repairs it. */
  void damageCheckpointFour(java.util.function.Function<Snapshot, byte[]> damage) throws Exception {
    Snapshot four;
    Snapshot five;
    try (S3Backend b = backend(raw); State state = State.load(b, options())) {
      for (int i = 1; i <= 4; i++) {
        state.addHost(host("h" + i));
      }
      four = state.snapshot();
      state.addHost(host("h5"));
      five = state.snapshot();
    }
    assertThat(checkpoints()).containsExactly("00000000000000000004.json");
    raw.putObject(PutObjectRequest.builder().bucket(bucket).key(checkpointKey(4)).build(),
        RequestBody.fromBytes(damage.apply(five)));
    try (S3Backend b = backend(raw)) {
      assertThat(b.load().orElseThrow().snapshot()).isEqualTo(five); // rebuilt from the log, not from the damage
    } // close waits for the repair
    assertThat(StateCodec.decode(read(checkpointKey(4)), "checkpoint 4", "")).isEqualTo(four);
    try (S3Backend b = backend(raw); State state = State.load(b, options())) {
      assertThat(state.snapshot()).isEqualTo(five);
      state.addHost(host("h6"));
      assertThat(logSerials()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
      assertThat(b.at(4).orElseThrow().snapshot()).isEqualTo(four);
    }
  }

  @Test
  void aDamagedCheckpointTheLogCannotRebuildIsReportedAndLeftAsItIs() throws Exception {
    try (S3Backend b = S3Backend.builder().client(raw).bucket(bucket).key(key).checkpointInterval(4)
            .retainCheckpoints(1).build();
        State state = State.load(b, options())) {
      for (int i = 1; i <= 9; i++) {
        state.addHost(host("h" + i));
      }
    }
    assertThat(checkpoints()).containsExactly("00000000000000000008.json");
    assertThat(logSerials()).containsExactly(8L, 9L); // pruned: only checkpoint 8 holds the versions before
    byte[] damage = "{\"metadata\": 7}".getBytes(StandardCharsets.UTF_8);
    raw.putObject(PutObjectRequest.builder().bucket(bucket).key(checkpointKey(8)).build(), RequestBody.fromBytes(damage));
    try (S3Backend b = backend(raw)) {
      assertThatThrownBy(b::load).isInstanceOfSatisfying(CorruptStateException.class, e -> {
        assertThat(e.location()).isEqualTo("s3://" + bucket + "/" + checkpointKey(8));
        assertThat(e.getMessage()).contains("checkpoints/00000000000000000008.json", "cannot rebuild");
      });
    }
    assertThat(read(checkpointKey(8))).isEqualTo(damage);
    assertThat(logSerials()).containsExactly(8L, 9L);
  }

  @Test
  void aCheckpointNewerThanTheLogIsNotTrusted() throws Exception {
    Snapshot three;
    try (S3Backend b = backend(raw); State state = State.load(b, options())) {
      for (int i = 1; i <= 3; i++) {
        state.addHost(host("h" + i));
      }
      three = state.snapshot();
    }
    // a sound checkpoint named 7 whose log records do not exist (restored from elsewhere, say)
    Snapshot seven = Snapshot.of(three.metadata().withSerial(7, java.time.Instant.now()), three.hosts(), three.resources());
    raw.putObject(PutObjectRequest.builder().bucket(bucket).key(checkpointKey(7)).build(),
        RequestBody.fromBytes(StateCodec.encode(seven)));
    try (S3Backend b = backend(raw)) {
      assertThat(b.load().orElseThrow().snapshot()).isEqualTo(three);
    }
  }
}
