package io.infrastate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.memory.InMemoryBackend;
import io.infrastate.memory.InMemoryLockProvider;
import io.infrastate.model.BackendException;
import io.infrastate.model.ConflictException;
import io.infrastate.model.HostState;
import io.infrastate.model.LineageMismatchException;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.ExclusiveWrites;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.VersionToken;
import io.infrastate.spi.WriteLeases;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The write path of {@link State} on the in-memory backend: the group commit (many threads, one
 * handle), persist-then-publish, and the attempt loop with its contention paths (the exclusive
 * section, the write lease, the backoff, the attempt cap). Conflicts are real: another handle on
 * the same storage writes just before a save; the wrappers below only choose the moment.
 */
class StateWritePathTest {

  // ------------------------------------------------------------ test backends

  /**
   * The in-memory backend, with another handle (another process, in effect) that writes just
   * before each of the next {@code conflicts} saves, so that those saves conflict; and an optional
   * failure injected into the next save.
   */
  static class Intruded extends OverInMemoryBackend {
    final State intruder = State.load(storage);
    final AtomicInteger conflicts = new AtomicInteger();
    final AtomicInteger saves = new AtomicInteger();
    final AtomicInteger intrusions = new AtomicInteger();
    volatile RuntimeException failNextSave;

    @Override
    public SaveResult save(SaveRequest request) {
      saves.incrementAndGet();
      RuntimeException fail = failNextSave;
      if (fail != null) {
        failNextSave = null;
        throw fail;
      }
      if (conflicts.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        intruder.addHost(HostState.builder("intruder" + intrusions.incrementAndGet()).build());
      }
      return storage.save(request);
    }
  }

  /** {@link Intruded} with an exclusive section, as the file backends have. */
  static final class Exclusive extends Intruded implements ExclusiveWrites {
    final AtomicInteger opened = new AtomicInteger();
    final AtomicInteger closed = new AtomicInteger();
    final List<Boolean> savedInSection = new CopyOnWriteArrayList<>();
    volatile boolean available = true;

    @Override
    public Optional<Section> exclusive() {
      if (!available) {
        return Optional.empty();
      }
      opened.incrementAndGet();
      return Optional.of(closed::incrementAndGet);
    }

    @Override
    public SaveResult save(SaveRequest request) {
      savedInSection.add(opened.get() > closed.get());
      return super.save(request);
    }
  }

  /** {@link Intruded} with write leases in an in-memory lock table, as S3 and Git remotes have. */
  static final class Leased extends Intruded implements WriteLeases {
    final InMemoryLockProvider table = InMemoryLockProvider.create();
    final List<Boolean> savedUnderLease = new CopyOnWriteArrayList<>();

    @Override
    public LockProvider writeLeases(LockOptions options) {
      return table.withOptions(options);
    }

    Optional<LockInfo> lease() {
      return table.inspect(WriteLeases.LEASE_NAME);
    }

    @Override
    public SaveResult save(SaveRequest request) {
      savedUnderLease.add(lease().isPresent());
      return super.save(request);
    }
  }

  /** {@link Intruded} with both a section and write leases, as a local Git repository has. */
  static final class ExclusiveLeased extends Intruded implements ExclusiveWrites, WriteLeases {
    final AtomicInteger sections = new AtomicInteger();
    final AtomicInteger leaseProviders = new AtomicInteger();

    @Override
    public Optional<Section> exclusive() {
      sections.incrementAndGet();
      return Optional.of(() -> {});
    }

    @Override
    public LockProvider writeLeases(LockOptions options) {
      leaseProviders.incrementAndGet();
      return InMemoryLockProvider.create(options);
    }
  }

  static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.1").build();
  }

  // ------------------------------------------------------------ group commit

  @Test
  void manyThreadsThroughOneHandleLoseNoUpdateAndEachGetsItsOwnResult() throws Exception {
    InMemoryBackend backend = InMemoryBackend.create();
    State state = State.load(backend);
    state.addResource("counter:c", ResourceState.builder("counter", "c").data("n", 0).build());
    int threads = 8;
    int each = 25;
    List<Integer> results = new CopyOnWriteArrayList<>();
    List<Callable<Void>> writers = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    for (int t = 0; t < threads; t++) {
      writers.add(() -> {
        start.await();
        for (int i = 0; i < each; i++) {
          results.add(state.compute(tx -> increment(tx)));
        }
        return null;
      });
    }
    runAll(writers, start);
    int total = threads * each;
    assertThat(counter(state.snapshot())).isEqualTo(total);
    assertThat(counter(State.load(backend).snapshot())).as("as stored").isEqualTo(total);
    // every caller got the value its own increment stored: each value once
    assertThat(results).hasSize(total).doesNotHaveDuplicates().allMatch(n -> n >= 1 && n <= total);
  }

  @Test
  void aFailingTransactionAmongManyFailsOnlyItsCaller() throws Exception {
    InMemoryBackend backend = InMemoryBackend.create();
    State state = State.load(backend);
    state.addResource("counter:c", ResourceState.builder("counter", "c").data("n", 0).build());
    int threads = 8;
    int each = 20;
    AtomicInteger succeeded = new AtomicInteger();
    Map<String, Throwable> failures = new ConcurrentHashMap<>();
    List<String> wrongFailures = new CopyOnWriteArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Callable<Void>> writers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      writers.add(() -> {
        start.await();
        for (int i = 0; i < each; i++) {
          int n = i;
          String me = thread + "/" + n;
          boolean fails = i % 4 == thread % 4;
          try {
            state.update(tx -> {
              increment(tx);
              tx.addHost(host("h" + thread + "-" + n));
              if (fails) {
                throw new IllegalStateException("refused by " + me);
              }
            });
            succeeded.incrementAndGet();
            if (fails) {
              wrongFailures.add(me + " succeeded");
            }
          } catch (IllegalStateException e) {
            failures.put(me, e);
            if (!fails || !e.getMessage().equals("refused by " + me)) {
              wrongFailures.add(me + " got " + e.getMessage());
            }
          }
        }
        return null;
      });
    }
    runAll(writers, start);
    assertThat(wrongFailures).isEmpty();
    assertThat(failures).hasSize(threads * each / 4);
    // the failed transactions were undone, also their other changes; every other one is stored
    assertThat(counter(state.snapshot())).isEqualTo(succeeded.get());
    assertThat(State.load(backend).allHosts()).hasSize(succeeded.get());
    assertThat(state.allHosts()).noneMatch(h -> failures.containsKey(h.name().substring(1).replace('-', '/')));
  }

  private static int increment(Transaction tx) {
    ResourceState c = tx.getResource("counter:c").orElseThrow();
    int next = ((Number) c.data().get("n")).intValue() + 1;
    tx.addResource("counter:c", c.withData("n", next));
    return next;
  }

  private static int counter(Snapshot s) {
    return ((Number) s.getResource("counter:c").orElseThrow().data().get("n")).intValue();
  }

  private static void runAll(List<Callable<Void>> tasks, CountDownLatch start) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      List<Future<Void>> futures = new ArrayList<>();
      for (Callable<Void> t : tasks) {
        futures.add(pool.submit(t));
      }
      start.countDown();
      for (Future<Void> f : futures) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ------------------------------------------------------------ persist, then publish

  @Test
  void aSaveThatFailsPublishesNothingAndTheHandleWritesOnAfterwards() {
    Intruded backend = new Intruded();
    State state = State.load(backend);
    state.addHost(host("web01"));
    Snapshot before = state.snapshot();
    backend.failNextSave = new BackendException("disk on fire", null, true);
    assertThatThrownBy(() -> state.update(tx -> {
      tx.addHost(host("web02"));
      tx.removeHost("web01");
    })).isInstanceOf(BackendException.class).hasMessageContaining("disk on fire");
    assertThat(state.snapshot()).isSameAs(before);
    assertThat(state.hasHost("web02")).isFalse();
    assertThat(state.hasHost("web01")).isTrue();
    assertThat(State.load(backend.storage).metadata().serial()).isEqualTo(1);
    state.addHost(host("web03"));
    assertThat(state.metadata().serial()).isEqualTo(2);
    assertThat(State.load(backend.storage).allHosts()).extracting(HostState::name).containsExactly("web01", "web03");
  }

  @Test
  void aSaveThatFailsFailsEveryCallerOfItsGroupAndPublishesNothing() throws Exception {
    GroupCommitTestBackend backend = new GroupCommitTestBackend();
    State state = State.load(backend);
    Thread first = new Thread(() -> state.addHost(host("first")));
    first.start();
    assertThat(backend.firstSaveEntered.await(1, TimeUnit.MINUTES)).isTrue();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    List<Thread> queued = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String name = "q" + i;
      Thread t = new Thread(() -> {
        try {
          state.addHost(host(name));
        } catch (Throwable e) {
          errors.add(e);
        }
      });
      t.start();
      queued.add(t);
    }
    GroupCommitTest.awaitParked(queued);
    backend.failSecondSave = true;
    backend.releaseFirstSave.countDown();
    first.join(TimeUnit.MINUTES.toMillis(1));
    for (Thread t : queued) {
      t.join(TimeUnit.MINUTES.toMillis(1));
    }
    assertThat(queued).noneMatch(Thread::isAlive);
    assertThat(errors).hasSize(4).allSatisfy(e -> assertThat(e).isInstanceOf(BackendException.class).hasMessageContaining("second save"));
    assertThat(state.allHosts()).extracting(HostState::name).containsExactly("first");
    assertThat(state.metadata().serial()).isEqualTo(1);
  }

  /** Holds the first save until released; fails the second if told to. */
  static final class GroupCommitTestBackend extends Intruded {
    final CountDownLatch firstSaveEntered = new CountDownLatch(1);
    final CountDownLatch releaseFirstSave = new CountDownLatch(1);
    volatile boolean failSecondSave;

    @Override
    public SaveResult save(SaveRequest request) {
      int n = saves.get() + 1;
      if (n == 1) {
        firstSaveEntered.countDown();
        try {
          assertThat(releaseFirstSave.await(1, TimeUnit.MINUTES)).isTrue();
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
      }
      if (n == 2 && failSecondSave) {
        failNextSave = new BackendException("second save refused", null, true);
      }
      return super.save(request);
    }
  }

  // ------------------------------------------------------------ the attempt loop

  @Test
  void aConflictWithAnotherHandleReappliesTheChangeOnTheVersionThatWon() {
    Intruded backend = new Intruded();
    State state = State.load(backend);
    state.addHost(host("web01"));
    backend.conflicts.set(1);
    List<Integer> seen = new ArrayList<>();
    String added = state.compute(tx -> {
      seen.add(tx.allHosts().size());
      tx.addHost(host("web02"));
      return "web02";
    });
    assertThat(added).isEqualTo("web02");
    // first run on the version this handle held, then again on the one the other handle stored
    assertThat(seen).containsExactly(1, 2);
    assertThat(state.allHosts()).extracting(HostState::name).containsExactly("intruder1", "web01", "web02");
    assertThat(state.metadata().serial()).isEqualTo(3);
    assertThat(State.load(backend.storage).allHosts()).hasSize(3);
  }

  @Test
  void afterAConflictAnExclusiveBackendSerializesTheRetryInItsSection() {
    Exclusive backend = new Exclusive();
    State state = State.load(backend);
    state.addHost(host("web01"));
    backend.conflicts.set(1);
    state.addHost(host("web02"));
    assertThat(backend.opened).hasValue(1);
    assertThat(backend.closed).as("released when the write completed").hasValue(1);
    // the first save of the write was optimistic, its retry ran inside the section
    assertThat(backend.savedInSection).containsExactly(false, false, true);
    assertThat(state.allHosts()).extracting(HostState::name).containsExactly("intruder1", "web01", "web02");
    state.addHost(host("web03"));
    assertThat(backend.opened).as("no conflict, no section").hasValue(1);
  }

  @Test
  void insideTheSectionConflictsFromWritersOutsideTheProtocolAreRetriedAtOnceUnderTheSameSection() {
    Exclusive backend = new Exclusive();
    State state = State.load(backend);
    backend.conflicts.set(3);
    state.addHost(host("web01"));
    assertThat(backend.opened).hasValue(1);
    assertThat(backend.closed).hasValue(1);
    assertThat(backend.saves).hasValue(4);
    assertThat(state.allHosts()).hasSize(4);
  }

  @Test
  void aBackendWhoseSectionIsUnavailableBacksOffAndRetries() {
    Exclusive backend = new Exclusive();
    backend.available = false;
    State state = State.load(backend);
    backend.conflicts.set(1);
    state.addHost(host("web01"));
    assertThat(backend.opened).hasValue(0);
    assertThat(backend.saves).hasValue(2);
    assertThat(state.allHosts()).extracting(HostState::name).containsExactly("intruder1", "web01");
  }

  @Test
  void afterASecondConflictALeasedBackendTakesTheWriteLeaseAndReleasesItAfterTheWrite() {
    Leased backend = new Leased();
    State state = State.load(backend);
    backend.conflicts.set(2);
    state.addHost(host("web01"));
    // attempt 1 conflicts and backs off; attempt 2 conflicts and takes the lease; attempt 3 saves
    assertThat(backend.savedUnderLease).containsExactly(false, false, true);
    assertThat(state.allHosts()).extracting(HostState::name).containsExactly("intruder1", "intruder2", "web01");
    // the handle may keep the lease for its next write, but never past its close
    state.close();
    assertThat(backend.lease()).as("released at the latest when the handle closed").isEmpty();
  }

  @Test
  void aBackendWithASectionNeverTakesTheWriteLeaseEvenUnderSustainedContention() {
    ExclusiveLeased backend = new ExclusiveLeased();
    State state = State.load(backend);
    for (int i = 1; i <= 4; i++) {
      backend.conflicts.set(2);
      state.addHost(host("web0" + i));
    }
    assertThat(backend.sections).as("each write took the section after its conflict").hasValue(4);
    assertThat(backend.leaseProviders).as("lease providers made").hasValue(0);
    assertThat(state.allHosts()).extracting(HostState::name).contains("web01", "web02", "web03", "web04");
    state.close();
  }

  @Test
  void theDefaultAttemptCapStopsAWriteThatNeverWinsAndWritesNothingOfIt() {
    Exclusive backend = new Exclusive();
    State state = State.load(backend);
    backend.conflicts.set(Integer.MAX_VALUE);
    assertThatThrownBy(() -> state.addHost(host("mine")))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("during each of " + StateOptions.DEFAULT_MAX_ATTEMPTS + " attempts")
        .hasMessageContaining("Nothing of this change was written");
    assertThat(backend.saves).hasValue(StateOptions.DEFAULT_MAX_ATTEMPTS);
    assertThat(backend.closed).as("the section is released on failure too").hasValue(backend.opened.get());
    assertThat(State.load(backend.storage).hasHost("mine")).isFalse();
    assertThat(state.hasHost("mine")).isFalse();
    // what this handle publishes is a stored version: the last one the other handle wrote
    assertThat(state.metadata().serial()).isEqualTo(State.load(backend.storage).metadata().serial());
  }

  @Test
  void aConflictWithAStateOfAnotherLineageStopsTheWrite() {
    Intruded backend = new Intruded();
    State state = State.load(backend);
    state.addHost(host("web01"));
    // the stored state is replaced by a different one (another lineage) behind this handle
    InMemoryBackend other = InMemoryBackend.create();
    State.load(other).addHost(host("elsewhere"));
    backend.storage.writeRaw(other.readRaw().orElseThrow());
    assertThatThrownBy(() -> state.addHost(host("web02"))).isInstanceOf(LineageMismatchException.class);
    assertThat(state.hasHost("web02")).isFalse();
    assertThat(backend.storage.load().orElseThrow().snapshot().hasHost("web02")).isFalse();
  }

  @Test
  void theExpectedVersionOfEachSaveIsTheOneTheChangeWasAppliedTo() {
    List<VersionToken> expected = new CopyOnWriteArrayList<>();
    Intruded backend = new Intruded() {
      @Override
      public SaveResult save(SaveRequest request) {
        expected.add(request.expected());
        return super.save(request);
      }
    };
    State state = State.load(backend);
    state.addHost(host("web01"));
    backend.conflicts.set(1);
    state.addHost(host("web02"));
    assertThat(expected).extracting(VersionToken::serial).containsExactly(-1L, 1L, 2L); // -1: nothing stored yet
  }
}
