package io.infrastate.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.ConflictException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.InvalidStateException;
import io.infrastate.model.LineageMismatchException;
import io.infrastate.model.LockLostException;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.VersionInfo;
import io.infrastate.model.Violation;
import io.infrastate.codec.StateCodec;
import io.infrastate.memory.InMemoryLockProvider;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockRequest;
import io.infrastate.spi.Backend;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import io.infrastate.spi.WriteHistory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Backend} must meet, as an abstract JUnit 5 suite: extend it in the
 * backend's tests and implement the three factory methods (as AWS's {@code SdkHttpClientTestSuite}
 * is extended by each HTTP client). Third-party backends can reuse it.
 *
 * <p>It checks, through real {@link State} handles: loading empty storage; compare-and-swap with
 * two handles that stand for two processes (no lost update, conflict after the attempts run out);
 * persist-then-publish with a backend that fails (memory unchanged, storage unchanged); stop on
 * damage (unparsable, empty and foreign-lineage content is never overwritten and stays byte
 * identical); validation before write; serial increments; history when the backend keeps it;
 * write ids when it keeps them ({@link WriteHistory}: each version names the write that made it,
 * and a retry of that write is a no-op; otherwise a retry cannot be checked and is refused);
 * concurrent writers through separate handles; and fencing (a write under a lock stores its token,
 * the history names the lock, a smaller token is refused).
 *
 * <p>Each test gets fresh storage from {@link #newStorage()}; handles opened through {@link
 * #open(Object)} are closed after each test.
 *
 * @param <S> what identifies one storage location for the backend (a path, a repository, a key)
 */
public abstract class BackendContract<S> {
  private final List<AutoCloseable> opened = new ArrayList<>();

  /**
   * Creates fresh, empty storage for one test.
   *
   * @return the storage location
   * @throws Exception if it cannot be created
   */
  protected abstract S newStorage() throws Exception;

  /**
   * Opens a new backend on the storage, independent of any other backend opened on it (as another
   * process would).
   *
   * @param storage the storage location
   * @return a new backend
   * @throws Exception if it cannot be opened
   */
  protected abstract Backend openBackend(S storage) throws Exception;

  /**
   * Replaces the stored state content with raw bytes, as an outside tool or a person would (an
   * editor, {@code git commit}, {@code aws s3 cp}).
   *
   * @param storage the storage location
   * @param content the raw state.json bytes
   * @throws Exception if it cannot be written
   */
  protected abstract void writeRaw(S storage, byte[] content) throws Exception;

  /**
   * Reads the stored state content exactly as stored (as an outside tool would see it).
   *
   * @param storage the storage location
   * @return the raw bytes, or empty if nothing is stored
   * @throws Exception if it cannot be read
   */
  protected abstract Optional<byte[]> readRaw(S storage) throws Exception;

  /**
   * The options for handles in these tests; override to inject a clock or more attempts.
   *
   * @return options
   */
  protected StateOptions options() {
    return StateOptions.builder().operator("contract@test").retryBackoff(Duration.ofMillis(1)).build();
  }

  /**
   * Opens a backend and a state handle on it; both are closed after the test.
   *
   * @param storage the storage location
   * @return a new state handle
   * @throws Exception if opening fails
   */
  protected final State open(S storage) throws Exception {
    return open(storage, options());
  }

  /**
   * Opens a backend and a state handle with options; both are closed after the test.
   *
   * @param storage the storage location
   * @param options the options
   * @return a new state handle
   * @throws Exception if opening fails
   */
  protected final State open(S storage, StateOptions options) throws Exception {
    Backend backend = track(openBackend(storage));
    return track(State.load(backend, options));
  }

  /**
   * Registers something to close after the test.
   *
   * @param <T> its type
   * @param closeable the resource
   * @return the resource
   */
  protected final <T extends AutoCloseable> T track(T closeable) {
    opened.add(closeable);
    return closeable;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = opened.size() - 1; i >= 0; i--) {
      opened.get(i).close();
    }
    opened.clear();
  }

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.0." + Math.abs(name.hashCode() % 250)).port(22).user("admin").build();
  }

  // ------------------------------------------------------------------ basics

  @Test
  void emptyStorageLoadsAsNewStateAndStoresNothing() throws Exception {
    S storage = newStorage();
    State state = open(storage);
    assertThat(state.allHosts()).isEmpty();
    assertThat(state.metadata().serial()).isZero();
    assertThat(state.metadata().version()).isEqualTo(Metadata.FORMAT_VERSION);
    assertThat(readRaw(storage)).isEmpty();
  }

  @Test
  void writesArePersistedAndSeenByAnotherHandle() throws Exception {
    S storage = newStorage();
    State a = open(storage);
    HostState stored = a.addHost(host("web01").withVar("http_port", 80));
    a.addResource("linode:1", ResourceState.builder("linode", "1").name("web01").data("region", "us-east").tag("env", "prod").build());

    State b = open(storage);
    assertThat(b.getHost("web01")).contains(stored);
    assertThat(b.getResource("linode:1")).isPresent();
    assertThat(b.metadata().serial()).isEqualTo(2);
    assertThat(b.metadata().lineage()).isEqualTo(a.metadata().lineage()).isNotEmpty();
    assertThat(readRaw(storage)).isPresent();
    assertThat(StateCodec.decode(readRaw(storage).orElseThrow(), "raw", "")).isEqualTo(b.snapshot());
  }

  @Test
  void everyWriteIncrementsSerialByExactlyOne() throws Exception {
    S storage = newStorage();
    State state = open(storage);
    for (int i = 1; i <= 5; i++) {
      state.addHost(host("h" + i));
      assertThat(state.metadata().serial()).isEqualTo(i);
    }
    state.update(tx -> {
      tx.removeHost("h1");
      tx.removeHost("h2");
    });
    assertThat(state.metadata().serial()).isEqualTo(6);
    assertThat(open(storage).metadata().serial()).isEqualTo(6);
  }

  @Test
  void updateKeepsCreatedAtAndSetsUpdatedAt() throws Exception {
    S storage = newStorage();
    State state = open(storage);
    HostState first = state.addHost(host("web01"));
    Thread.sleep(2);
    HostState second = state.addHost(host("web01").withAddress("10.9.9.9"));
    assertThat(second.createdAt()).isEqualTo(first.createdAt());
    assertThat(second.updatedAt()).isAfterOrEqualTo(first.updatedAt());
    assertThat(open(storage).getHost("web01").orElseThrow().address()).isEqualTo("10.9.9.9");
  }

  @Test
  void noOpWritesStoreNothing() throws Exception {
    S storage = newStorage();
    State state = open(storage);
    state.addHost(host("web01"));
    long serial = state.metadata().serial();
    assertThat(state.removeHost("absent")).isFalse();
    state.update(tx -> tx.getHost("web01"));
    assertThat(state.metadata().serial()).isEqualTo(serial);
    assertThat(open(storage).metadata().serial()).isEqualTo(serial);
  }

  // ------------------------------------------------------------------ compare-and-swap

  @Test
  void twoHandlesNeverLoseEachOthersWrites() throws Exception {
    S storage = newStorage();
    State a = open(storage);
    State b = open(storage);
    a.addHost(host("from-a"));
    // b has not seen a's write: its save must conflict, reload and re-apply
    b.addHost(host("from-b"));
    assertThat(b.hasHost("from-a")).isTrue();
    assertThat(b.metadata().serial()).isEqualTo(2);
    State c = open(storage);
    assertThat(c.allHosts()).extracting(HostState::name).containsExactly("from-a", "from-b");
  }

  @Test
  void conflictingTransactionIsReappliedOnTheFreshVersion() throws Exception {
    S storage = newStorage();
    State a = open(storage);
    State b = open(storage);
    a.addResource("counter", counter(0));
    b.refresh();
    a.addResource("counter", counter(1));
    AtomicInteger runs = new AtomicInteger();
    b.update(tx -> {
      runs.incrementAndGet();
      int value = ((Number) tx.getResource("counter").orElseThrow().data().get("value")).intValue();
      tx.addResource("counter", counter(value + 1));
    });
    assertThat(runs.get()).isEqualTo(2);
    assertThat(open(storage).getResource("counter").orElseThrow().data().get("value")).isEqualTo(2);
  }

  @Test
  void conflictErrorAfterAttemptsRunOutWritesNothingOfTheChange() throws Exception {
    S storage = newStorage();
    State other = open(storage);
    other.addHost(host("seed"));
    State victim = open(storage, StateOptions.builder().maxAttempts(3).retryBackoff(Duration.ZERO).build());
    AtomicInteger runs = new AtomicInteger();
    assertThatThrownBy(() -> victim.update(tx -> {
      // every attempt, another writer gets in first
      other.addHost(host("interloper-" + runs.incrementAndGet()));
      tx.addHost(host("victim"));
    })).isInstanceOf(ConflictException.class)
        .hasMessageContaining("3 attempts")
        .satisfies(e -> assertThat(((ConflictException) e).retryable()).isTrue());
    assertThat(runs.get()).isEqualTo(3);
    State check = open(storage);
    assertThat(check.hasHost("victim")).isFalse();
    assertThat(check.allHosts()).hasSize(4);
    assertThat(victim.hasHost("victim")).isFalse();
  }

  @Test
  void backendSaveIsCompareAndSwap() throws Exception {
    S storage = newStorage();
    State a = open(storage);
    a.addHost(host("web01"));
    Backend raw = track(openBackend(storage));
    StoredState loaded = raw.load().orElseThrow();
    Snapshot next = loaded.snapshot().withMetadata(loaded.snapshot().metadata().withSerial(2, Instant.now()));
    SaveResult first = raw.save(new SaveRequest(loaded.token(), next, List.of(), new AuditEntry("t@t", "direct", "")));
    assertThat(first).isInstanceOf(SaveResult.Saved.class);
    // the same expected version again: storage moved on, so this must conflict and write nothing
    Snapshot stale = loaded.snapshot().withMetadata(loaded.snapshot().metadata().withSerial(2, Instant.now()));
    SaveResult second = raw.save(new SaveRequest(loaded.token(), stale, List.of(), new AuditEntry("t@t", "stale", "")));
    assertThat(second).isInstanceOf(SaveResult.Conflict.class);
    // creating when something exists conflicts too
    SaveResult create = raw.save(new SaveRequest(VersionToken.absent(), stale, List.of(), new AuditEntry("t@t", "create", "")));
    assertThat(create).isInstanceOf(SaveResult.Conflict.class);
    assertThat(open(storage).metadata().serial()).isEqualTo(2);
  }

  @Test
  void writeIdsRoundTripOrARetryIsRefusedWhereTheyAreNotKept() throws Exception {
    S storage = newStorage();
    State a = open(storage);
    a.addHost(host("web01"));
    Backend raw = track(openBackend(storage));
    if (!(raw instanceof WriteHistory history)) {
      // without write ids a retry after an unknown outcome cannot be checked: refused, nothing written
      assertThatThrownBy(() -> a.addHost(host("web02"), AuditEntry.of("retry").withRetryOf("1:some-write")))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("keeps no write ids");
      assertThat(open(storage).metadata().serial()).isEqualTo(1);
      return;
    }
    StoredState loaded = raw.load().orElseThrow();
    Snapshot next = loaded.snapshot().withMetadata(loaded.snapshot().metadata().withSerial(2, Instant.now()));
    String id = SaveRequest.newWriteId();
    assertThat(raw.save(new SaveRequest(loaded.token(), next, List.of(), new AuditEntry("t@t", "direct", ""), id)))
        .isInstanceOf(SaveResult.Saved.class);
    assertThat(history.committedBy(2, id)).isTrue();
    assertThat(history.committedBy(1, id)).isFalse();
    assertThat(history.committedBy(2, SaveRequest.newWriteId())).isFalse();
    assertThat(history.committedBy(3, id)).isFalse(); // not stored (yet)
    WriteHistory elsewhere = (WriteHistory) track(openBackend(storage)); // as another process sees it
    assertThat(elsewhere.committedBy(2, id)).isTrue();
    // a retry of that write through a handle is a no-op
    a.addHost(host("web02"), AuditEntry.of("retry").withRetryOf("2:" + id));
    assertThat(a.hasHost("web02")).isFalse();
    assertThat(a.metadata().serial()).isEqualTo(2);
  }

  @Test
  void loadIfChangedSeesOtherWritersAndNothingElse() throws Exception {
    S storage = newStorage();
    State a = open(storage);
    a.addHost(host("web01"));
    Backend raw = track(openBackend(storage));
    StoredState loaded = raw.load().orElseThrow();
    assertThat(raw.loadIfChanged(loaded.token())).isEmpty();
    a.addHost(host("web02"));
    Optional<StoredState> changed = raw.loadIfChanged(loaded.token());
    assertThat(changed).isPresent();
    assertThat(changed.get().snapshot().hasHost("web02")).isTrue();
    assertThat(raw.loadIfChanged(changed.get().token())).isEmpty();
  }

  @Test
  void refreshPicksUpOtherWriters() throws Exception {
    S storage = newStorage();
    State a = open(storage);
    State b = open(storage);
    a.addHost(host("web01"));
    assertThat(b.hasHost("web01")).isFalse();
    assertThat(b.refresh().hasHost("web01")).isTrue();
  }

  @Test
  void concurrentWritersThroughSeparateHandlesLoseNothing() throws Exception {
    S storage = newStorage();
    open(storage).addResource("counter", counter(0));
    int writers = 4;
    int increments = 15;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        State s = open(storage, StateOptions.defaults());
        futures.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < increments; i++) {
            s.update(tx -> {
              int v = ((Number) tx.getResource("counter").orElseThrow().data().get("value")).intValue();
              tx.addResource("counter", counter(v + 1));
            });
          }
          return null;
        }));
      }
      start.countDown();
      Futures.awaitAll(futures, Duration.ofMinutes(5));
    } finally {
      pool.shutdownNow();
    }
    State check = open(storage);
    assertThat(check.getResource("counter").orElseThrow().data().get("value")).isEqualTo(writers * increments);
    assertThat(check.metadata().serial()).isEqualTo(1 + writers * increments);
  }

  // ------------------------------------------------------------------ persist, then publish

  @Test
  void failedSaveLeavesMemoryAndStorageUnchanged() throws Exception {
    S storage = newStorage();
    State good = open(storage);
    good.addHost(host("web01"));
    byte[] before = readRaw(storage).orElseThrow();
    Backend failing = new FailingBackend(track(openBackend(storage)));
    State state = track(State.load(failing, options()));
    Snapshot snapshotBefore = state.snapshot();
    assertThatThrownBy(() -> state.addHost(host("web02")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("injected");
    assertThat(state.snapshot()).isSameAs(snapshotBefore);
    assertThat(state.hasHost("web02")).isFalse();
    assertThat(readRaw(storage).orElseThrow()).isEqualTo(before);
  }

  @Test
  void exceptionInTransactionWritesNothing() throws Exception {
    S storage = newStorage();
    State state = open(storage);
    state.addHost(host("web01"));
    byte[] before = readRaw(storage).orElseThrow();
    assertThatThrownBy(() -> state.update(tx -> {
      tx.addHost(host("web02"));
      throw new IllegalStateException("boom");
    })).hasMessage("boom");
    assertThat(state.hasHost("web02")).isFalse();
    assertThat(readRaw(storage).orElseThrow()).isEqualTo(before);
  }

  @Test
  void invalidWriteIsVetoedAndNothingPersisted() throws Exception {
    S storage = newStorage();
    State state = open(storage, StateOptions.builder()
        .validator(s -> s.hasHost("forbidden") ? List.of(new Violation("$.hosts.forbidden", "not allowed here")) : List.of())
        .build());
    state.addHost(host("web01"));
    byte[] before = readRaw(storage).orElseThrow();
    assertThatThrownBy(() -> state.addHost(host("forbidden")))
        .isInstanceOf(InvalidStateException.class)
        .hasMessageContaining("not allowed here");
    assertThatThrownBy(() -> state.addHost(new HostState("bad", "10.0.0.1", 70000, "u", java.util.Map.of(), "", null, null)))
        .isInstanceOf(InvalidStateException.class)
        .hasMessageContaining("outside 0..65535");
    assertThat(readRaw(storage).orElseThrow()).isEqualTo(before);
    assertThat(state.hasHost("forbidden")).isFalse();
  }

  // ------------------------------------------------------------------ stop on damage

  @Test
  void unparsableStateIsNeverOverwritten() throws Exception {
    S storage = newStorage();
    State state = open(storage);
    state.addHost(host("web01"));
    byte[] garbage = "{\"metadata\": {\"version\": \"1.0\"}, \"hosts\": {".getBytes(StandardCharsets.UTF_8);
    writeRaw(storage, garbage);
    assertThatThrownBy(() -> open(storage)).isInstanceOf(CorruptStateException.class).hasMessageContaining("truncated");
    assertThatThrownBy(() -> state.addHost(host("web02"))).isInstanceOf(CorruptStateException.class);
    assertThat(readRaw(storage).orElseThrow()).isEqualTo(garbage);
  }

  @Test
  void emptyContentIsDamageNotAnEmptyState() throws Exception {
    S storage = newStorage();
    State state = open(storage);
    state.addHost(host("web01"));
    writeRaw(storage, new byte[0]);
    assertThatThrownBy(() -> open(storage))
        .isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> state.addHost(host("web02"))).isInstanceOf(CorruptStateException.class);
    assertThat(readRaw(storage).orElseThrow()).isEmpty();
  }

  @Test
  void foreignLineageStopsWrites() throws Exception {
    S storage = newStorage();
    State state = open(storage);
    state.addHost(host("web01"));
    Snapshot foreign = Snapshot.empty(new Metadata(Metadata.FORMAT_VERSION, 7, UUID.randomUUID().toString(), Instant.now(), Instant.now()));
    byte[] foreignBytes = StateCodec.encode(foreign);
    writeRaw(storage, foreignBytes);
    assertThatThrownBy(() -> state.addHost(host("web02"))).isInstanceOf(LineageMismatchException.class);
    assertThat(readRaw(storage).orElseThrow()).isEqualTo(foreignBytes);
  }

  @Test
  void goFileWithoutSerialOrLineageGetsALineageOnFirstWrite() throws Exception {
    S storage = newStorage();
    String go = "{\n  \"metadata\": {\"version\": \"1.0\", \"created_at\": \"2024-01-15T10:30:00Z\", \"updated_at\": \"2024-01-15T14:45:00Z\"},\n"
        + "  \"hosts\": {\"web01\": {\"name\": \"web01\", \"address\": \"192.168.1.10\", \"port\": 22, \"user\": \"admin\", \"created_at\": \"2024-01-15T10:30:00Z\", \"updated_at\": \"2024-01-15T10:30:00Z\"}},\n"
        + "  \"resources\": {}\n}\n";
    writeRaw(storage, go.getBytes(StandardCharsets.UTF_8));
    State state = open(storage);
    assertThat(state.metadata().serial()).isZero();
    assertThat(state.metadata().lineage()).isEmpty();
    state.addHost(host("web02"));
    assertThat(state.metadata().serial()).isEqualTo(1);
    assertThat(state.metadata().lineage()).isNotEmpty();
    assertThat(open(storage).allHosts()).extracting(HostState::name).containsExactly("web01", "web02");
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.MethodSource("io.infrastate.testkit.DamagedStates#all")
  void damagedContentIsRefusedAndLeftByteIdentical(DamagedStates.Case damaged) throws Exception {
    S storage = newStorage();
    State state = open(storage);
    state.addHost(host("web01"));
    writeRaw(storage, damaged.content());
    Class<? extends Exception> expected = damaged.unsupportedVersion()
        ? io.infrastate.model.UnsupportedFormatVersionException.class
        : CorruptStateException.class;
    assertThatThrownBy(() -> open(storage)).isInstanceOf(expected);
    if (!damaged.unsupportedVersion()) {
      assertThatThrownBy(() -> open(storage))
          .satisfies(e -> assertThat(((CorruptStateException) e).jsonPath().orElseThrow()).startsWith(damaged.path()));
    }
    assertThatThrownBy(() -> state.addHost(host("web02"))).isInstanceOf(expected);
    assertThat(readRaw(storage).orElseThrow()).isEqualTo(damaged.content());
  }

  // ------------------------------------------------------------------ history

  @Test
  void historyListsVersionsNewestFirstWithAudit() throws Exception {
    S storage = newStorage();
    Backend backend = track(openBackend(storage));
    org.junit.jupiter.api.Assumptions.assumeTrue(
        backend instanceof HistoryBackend, "this backend keeps no history (it does not implement HistoryBackend)");
    State state = track(State.load(backend, options()));
    state.addHost(host("web01"));
    state.addHost(host("web02"), AuditEntry.of("provision web02").withReason("OPS-1").withOperator("alice@laptop"));
    state.removeHost("web01");
    List<VersionInfo> history = state.history();
    assertThat(history).extracting(VersionInfo::serial).startsWith(3L, 2L, 1L);
    assertThat(history.get(0).operation()).isEqualTo("remove host web01");
    assertThat(history.get(1).operator()).isEqualTo("alice@laptop");
    assertThat(history.get(1).message()).isEqualTo("provision web02 (OPS-1)");
    assertThat(history.get(2).operator()).isEqualTo("contract@test");
    assertThat(state.at(1).orElseThrow().allHosts()).extracting(HostState::name).containsExactly("web01");
    Snapshot rolledBack = state.rollback(1, AuditEntry.DEFAULT);
    assertThat(rolledBack.metadata().serial()).isEqualTo(4);
    assertThat(rolledBack.allHosts()).extracting(HostState::name).containsExactly("web01");
    assertThat(state.history(1).get(0).operation()).isEqualTo("rollback to version 1");
    assertThat(open(storage).allHosts()).extracting(HostState::name).containsExactly("web01");
  }

  @Test
  void writesUnderALockKeepItsTokenAndTheHistoryNamesTheLock() throws Exception {
    S storage = newStorage();
    State state = open(storage);
    state.addHost(host("base"));
    try (InMemoryLockProvider locks = InMemoryLockProvider.create()) {
      Lock deploy = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow();
      state.update(deploy, AuditEntry.of("deploy web01"), tx -> tx.addHost(host("web01")));
      state.update(deploy, AuditEntry.of("deploy web02"), tx -> tx.addHost(host("web02")));
      state.addHost(host("web03")); // a write under no lock keeps the fences
      State other = open(storage);
      assertThat(other.metadata().fences()).containsExactly(java.util.Map.entry("deploy", deploy.token()));
      // a lower token than the one recorded is refused, and nothing is stored
      Lock older = new LowerToken(deploy);
      long serial = other.metadata().serial();
      assertThatThrownBy(() -> other.update(older, AuditEntry.of("late"), tx -> tx.addHost(host("late"))))
          .isInstanceOf(LockLostException.class);
      assertThat(open(storage).metadata().serial()).isEqualTo(serial);
      assertThat(open(storage).hasHost("late")).isFalse();
      Backend backend = track(openBackend(storage));
      if (backend instanceof HistoryBackend history) {
        List<VersionInfo> versions = history.history(10);
        assertThat(versions.get(0).locks()).as("a write under no lock").isEmpty();
        assertThat(versions.get(1).locks()).containsExactly(java.util.Map.entry("deploy", deploy.token()));
        assertThat(versions.get(1).operation()).isEqualTo("deploy web02");
        assertThat(versions.get(2).locks()).containsExactly(java.util.Map.entry("deploy", deploy.token()));
        assertThat(history.at(versions.get(2).serial()).orElseThrow().snapshot().metadata().fence("deploy"))
            .isEqualTo(deploy.token());
      }
      deploy.release();
    }
  }

  /** A held lock presenting a smaller token than its own, as an older holder's would be. */
  private static final class LowerToken implements Lock {
    private final Lock real;

    LowerToken(Lock real) {
      this.real = real;
    }

    @Override
    public String name() {
      return real.name();
    }

    @Override
    public String id() {
      return real.id();
    }

    @Override
    public io.infrastate.lock.LockInfo info() {
      return real.info().withToken(real.token() - 1);
    }

    @Override
    public io.infrastate.lock.LockInfo renew() {
      return real.renew();
    }

    @Override
    public io.infrastate.lock.LockInfo renew(Duration lease) {
      return real.renew(lease);
    }

    @Override
    public boolean isHeld() {
      return real.isHeld();
    }

    @Override
    public boolean release() {
      return real.release();
    }

    @Override
    public void close() {
      real.close();
    }
  }

  /**
   * A resource holding one integer, for counter tests.
   *
   * @param value the value
   * @return a resource of type {@code counter}
   */
  protected static ResourceState counter(int value) {
    return ResourceState.builder("counter", "c").data("value", value).build();
  }

  /** Delegates loads and fails every save before storing anything. */
  private static final class FailingBackend implements Backend {
    private final Backend delegate;

    FailingBackend(Backend delegate) {
      this.delegate = delegate;
    }

    @Override
    public String location() {
      return delegate.location();
    }

    @Override
    public Optional<StoredState> load() {
      return delegate.load();
    }

    @Override
    public SaveResult save(SaveRequest request) {
      throw new BackendException("injected failure before storing " + location(), null, true);
    }
  }
}
