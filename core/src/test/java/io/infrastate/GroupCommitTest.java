package io.infrastate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.memory.InMemoryBackend;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.InvalidStateException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Group commit: writes that arrive while another write of the same handle is being persisted are
 * stored together as one version; each caller returns once its own change is persisted; a failing
 * request fails alone.
 */
class GroupCommitTest {

  /** Blocks the saves whose numbers (1-based) have a gate, until that gate is opened. */
  private static final class GatesBackend implements Backend {
    final InMemoryBackend delegate = InMemoryBackend.create();
    final java.util.Map<Integer, CountDownLatch> entered = new java.util.concurrent.ConcurrentHashMap<>();
    final java.util.Map<Integer, CountDownLatch> open = new java.util.concurrent.ConcurrentHashMap<>();
    final AtomicInteger saves = new AtomicInteger();
    final List<SaveRequest> requests = new java.util.concurrent.CopyOnWriteArrayList<>();

    GatesBackend(int... gated) {
      for (int g : gated) {
        entered.put(g, new CountDownLatch(1));
        open.put(g, new CountDownLatch(1));
      }
    }

    @Override
    public String location() {
      return "gates";
    }

    @Override
    public Optional<StoredState> load() {
      return delegate.load();
    }

    @Override
    public SaveResult save(SaveRequest request) {
      int n = saves.incrementAndGet();
      if (open.containsKey(n)) {
        entered.get(n).countDown();
        try {
          assertThat(open.get(n).await(1, TimeUnit.MINUTES)).isTrue();
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
      }
      requests.add(request);
      return delegate.save(request);
    }

    void awaitEntered(int n) throws InterruptedException {
      assertThat(entered.get(n).await(1, TimeUnit.MINUTES)).as("save %d started", n).isTrue();
    }
  }

  @Test
  void writersWaitingBehindAWriteShareTheNextOne() throws Exception {
    GatesBackend backend = new GatesBackend(1);
    State state = State.load(backend);
    Thread first = startHeld(state, backend, "first", 1);
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Runnable> writes = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String name = "h" + i;
      writes.add(() -> state.addHost(HostState.builder(name).build(), AuditEntry.of("add " + name).withOperator("t" + name)));
    }
    List<Thread> waiting = start(writes, failures);
    awaitParked(waiting);
    releaseAndJoin(backend, 1, first, waiting);
    assertThat(failures).isEmpty();
    assertThat(state.allHosts()).hasSize(9);
    // 9 writes, but the eight that waited were committed together: 2 durable saves
    assertThat(backend.saves.get()).isEqualTo(2);
    assertThat(state.metadata().serial()).isEqualTo(2);
    SaveRequest group = backend.requests.get(1);
    assertThat(group.changes()).hasSize(8);
    assertThat(group.audit().operation()).contains("add h").contains("(+5 more)");
    assertThat(group.audit().operator()).contains("th0").contains("th7");
  }

  @Test
  void aFailingRequestInAGroupFailsAloneAndIsUndone() throws Exception {
    GatesBackend backend = new GatesBackend(1);
    State state = State.load(backend);
    Thread first = startHeld(state, backend, "first", 1);
    List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Runnable> writes = List.of(
        () -> state.addHost(HostState.builder("good1").build()),
        () -> state.update(tx -> {
          tx.addHost(HostState.builder("half-done").build());
          throw new IllegalStateException("caller bug");
        }),
        () -> state.addHost(new HostState("bad-port", "", 70000, "", null, "", null, null)),
        () -> state.addHost(HostState.builder("good2").build()));
    List<Thread> threads = start(writes, errors);
    awaitParked(threads);
    releaseAndJoin(backend, 1, first, threads);
    assertThat(errors).hasSize(2);
    assertThat(errors).anySatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class).hasMessage("caller bug"));
    assertThat(errors).anySatisfy(e -> assertThat(e).isInstanceOf(InvalidStateException.class).hasMessageContaining("outside 0..65535"));
    // the valid ones were committed together in one version after the held one
    assertThat(backend.saves.get()).isLessThanOrEqualTo(3);
    assertThat(state.allHosts()).extracting(HostState::name).containsExactlyInAnyOrder("first", "good1", "good2");
    assertThat(State.load(backend.delegate).allHosts()).extracting(HostState::name).containsExactlyInAnyOrder("first", "good1", "good2");
  }

  @Test
  void followersReturnOnceTheirGroupIsPersistedWithoutWaitingForTheNextGroup() throws Exception {
    GatesBackend backend = new GatesBackend(1, 2, 3);
    State state = State.load(backend);
    Thread first = startHeld(state, backend, "first", 1);
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Thread> followers = startAdding(state, "f", 8, failures);
    awaitParked(followers);
    backend.open.get(1).countDown();
    backend.awaitEntered(2); // the eight followers' group
    Thread late = new Thread(() -> state.addHost(HostState.builder("late").build()));
    late.start();
    awaitParked(List.of(late));
    backend.open.get(2).countDown();
    backend.awaitEntered(3); // the late writer leads the next group, held open
    for (Thread t : followers) {
      t.join(TimeUnit.MINUTES.toMillis(1));
    }
    // every follower returned while the next group's save is still held
    assertThat(followers).noneMatch(Thread::isAlive);
    assertThat(backend.open.get(3).getCount()).isEqualTo(1);
    assertThat(failures).isEmpty();
    assertThat(backend.requests.get(1).changes()).hasSize(8);
    backend.open.get(3).countDown();
    late.join(TimeUnit.MINUTES.toMillis(1));
    first.join(TimeUnit.MINUTES.toMillis(1));
    assertThat(state.allHosts()).hasSize(10);
    assertThat(backend.saves.get()).isEqualTo(3);
  }

  @Test
  void moreQueuedWritersThanOneGroupTakesAreAllStoredInGroupsOfAtMost256() throws Exception {
    GatesBackend backend = new GatesBackend(1);
    State state = State.load(backend);
    Thread first = startHeld(state, backend, "first", 1);
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Thread> queued = startAdding(state, "q", 300, failures);
    awaitParked(queued);
    backend.open.get(1).countDown();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    first.join(TimeUnit.MINUTES.toMillis(1));
    for (Thread t : queued) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }
    assertThat(queued).as("writers still waiting: none may be left without a leader").noneMatch(Thread::isAlive);
    assertThat(failures).isEmpty();
    assertThat(state.allHosts()).hasSize(301);
    assertThat(State.load(backend.delegate).allHosts()).hasSize(301);
    // the first write alone, then the 300 that queued behind it: one group of 256 and one of 44
    assertThat(backend.requests).extracting(r -> r.changes().size()).containsExactly(1, 256, 44);
  }

  @Test
  void aQueuedWriterThatIsInterruptedStillWaitsForItsWriteAndKeepsTheInterrupt() throws Exception {
    GatesBackend backend = new GatesBackend(1);
    State state = State.load(backend);
    Thread first = startHeld(state, backend, "first", 1);
    java.util.concurrent.atomic.AtomicBoolean interruptedAfter = new java.util.concurrent.atomic.AtomicBoolean();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Thread> queued = start(List.of(() -> {
      state.addHost(HostState.builder("queued").build());
      interruptedAfter.set(Thread.currentThread().isInterrupted());
    }), failures);
    awaitParked(queued);
    queued.get(0).interrupt();
    awaitParked(queued); // parked again: an interrupt neither ends the wait nor fails the write
    assertThat(queued.get(0).isAlive()).isTrue();
    assertThat(state.hasHost("queued")).isFalse();
    releaseAndJoin(backend, 1, first, queued);
    assertThat(failures).isEmpty();
    assertThat(interruptedAfter).isTrue();
    assertThat(State.load(backend.delegate).hasHost("queued")).isTrue();
  }

  @Test
  void afterShortCommitsQueuedWritersStillWaitWithoutSpinning() throws Exception {
    GatesBackend backend = new GatesBackend(201);
    State state = State.load(backend);
    // short commits (an in-memory save takes microseconds once warm)
    for (int i = 0; i < 200; i++) {
      state.addHost(HostState.builder("warm" + i).build());
    }
    Thread held = new Thread(() -> state.addHost(HostState.builder("held").build()));
    held.start();
    backend.awaitEntered(201); // this save does not end until opened
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Thread> queued = startAdding(state, "q", 4, failures);
    // they park behind the held save rather than spin
    awaitParked(queued);
    assertThat(queued).allMatch(Thread::isAlive);
    backend.open.get(201).countDown();
    held.join(TimeUnit.MINUTES.toMillis(1));
    for (Thread t : queued) {
      t.join(TimeUnit.MINUTES.toMillis(1));
    }
    assertThat(failures).isEmpty();
    assertThat(state.hasHost("q3")).isTrue();
    assertThat(State.load(backend.delegate).hasHost("q0")).isTrue();
  }

  @Test
  void aWriteFromInsideAWriteFunctionIsRefusedInsteadOfDeadlocking() {
    for (boolean group : new boolean[] {true, false}) {
      State state = State.load(InMemoryBackend.create(), StateOptions.builder().groupCommit(group).build());
      assertThatThrownBy(() -> state.update(tx -> state.addHost(HostState.builder("inner").build())))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("from inside another write's function");
      assertThat(state.hasHost("inner")).isFalse();
      assertThat(state.metadata().serial()).isZero();
      // the handle still works afterwards
      state.addHost(HostState.builder("outer").build());
      assertThat(state.metadata().serial()).isEqualTo(1);
    }
  }

  /** Starts a writer of one host and waits until its save number {@code save} is held at its gate. */
  private static Thread startHeld(State state, GatesBackend backend, String name, int save) throws InterruptedException {
    Thread t = new Thread(() -> state.addHost(HostState.builder(name).build()));
    t.start();
    backend.awaitEntered(save);
    return t;
  }

  /** Lets held save {@code save} finish, then waits for its writer and for {@code others}. */
  private static void releaseAndJoin(GatesBackend backend, int save, Thread first, List<Thread> others) throws InterruptedException {
    backend.open.get(save).countDown();
    first.join(TimeUnit.MINUTES.toMillis(1));
    for (Thread t : others) {
      t.join(TimeUnit.MINUTES.toMillis(1));
    }
  }

  /** Starts a thread adding host {@code prefix + i} for each i below {@code count}. */
  private static List<Thread> startAdding(State state, String prefix, int count, List<Throwable> failures) {
    List<Runnable> writes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = prefix + i;
      writes.add(() -> state.addHost(HostState.builder(name).build()));
    }
    return start(writes, failures);
  }

  /** Starts a thread for each write; what a write throws goes to {@code failures}. */
  private static List<Thread> start(List<Runnable> writes, List<Throwable> failures) {
    List<Thread> threads = new ArrayList<>();
    for (Runnable w : writes) {
      Thread t = new Thread(() -> {
        try {
          w.run();
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      t.start();
      threads.add(t);
    }
    return threads;
  }

  /**
   * Waits until every thread is parked (queued behind the write lock), without timing guesses; a
   * thread that has not parked after a minute (one that yields without end) fails the test.
   */
  static void awaitParked(List<Thread> threads) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    for (Thread t : threads) {
      while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
        assertThat(t.isAlive()).as("writer thread ended before queueing").isTrue();
        assertThat(System.nanoTime() - deadline).as("writer thread still not parked after a minute").isNegative();
        Thread.sleep(1);
      }
    }
  }

  @Test
  void groupCommitCanBeTurnedOff() {
    InMemoryBackend backend = InMemoryBackend.create();
    State state = State.load(backend, StateOptions.builder().groupCommit(false).build());
    assertThat(state.addHost(HostState.builder("a").build()).name()).isEqualTo("a");
    assertThat(state.metadata().serial()).isEqualTo(1);
    assertThatThrownBy(() -> StateOptions.builder().groupCommit(true).groupCommit(false))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("groupCommit was already set");
  }
}
