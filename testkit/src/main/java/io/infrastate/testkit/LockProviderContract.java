package io.infrastate.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.lock.Lock;
import io.infrastate.lock.LockHeldException;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockListener;
import io.infrastate.lock.LockNames;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.lock.LockRequest;
import io.infrastate.lock.LockTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract every {@link LockProvider} must meet, as an abstract JUnit 5 suite: extend it in the
 * provider's tests and implement {@link #newStorage()} and {@link #openProvider(Object,
 * LockOptions)}. Third-party providers can reuse it.
 *
 * <p>Time is a {@link MutableClock} shared by every provider of a test, so lease expiry, renewal
 * and takeover are tested without sleeping. Two providers opened on the same storage stand for two
 * processes (or machines). It checks: acquisition stores the full {@link LockInfo} with the lease;
 * a refused acquire says who holds the lock, since when and until when; locks are not reentrant;
 * release frees; only the holder (by id) releases or renews, also after a takeover; a stale lock
 * is taken over exactly at the end of its lease, not a nanosecond before, and the takeover is
 * reported with both holders; renewal (manual and automatic) keeps a lock past its first lease;
 * force-unlock needs the right id and is reported; invalid names are refused with the rule named;
 * a waiting acquire gets the lock when it is released or expires; threads contending through two
 * providers never overlap in the critical section; fencing tokens grow with every acquisition of
 * a name (after a release, a takeover, a force-unlock, through another provider, and in the order
 * contending threads enter the critical section); listing shows the held and stale locks by name,
 * never the released ones.
 *
 * <p>Each test gets fresh storage; providers opened through {@link #provider()} or {@link
 * #provider(LockOptions)} are closed after each test.
 *
 * <p>Not thread-safe: JUnit creates one instance per test method; the tests themselves start the
 * threads they need.
 *
 * @param <S> what identifies one lock storage location (a directory, a repository, a bucket
 *     prefix)
 */
public abstract class LockProviderContract<S> {
  /** The operator of the first holder in these tests. */
  protected static final String ALICE = "alice@host-a";

  /** The operator of the second holder in these tests. */
  protected static final String BOB = "bob@host-b";

  private final List<AutoCloseable> opened = new ArrayList<>();

  /** The clock every provider of the current test shares. */
  protected MutableClock clock;

  /** The storage of the current test. */
  protected S storage;

  /** Events reported to the listener of providers made by {@link #provider()}. */
  protected final List<String> events = new CopyOnWriteArrayList<>();

  /**
   * Creates fresh, empty lock storage for one test.
   *
   * @return the storage location
   * @throws Exception if it cannot be created
   */
  protected abstract S newStorage() throws Exception;

  /**
   * Opens a new provider on the storage, independent of any other provider opened on it (as
   * another process would).
   *
   * @param storage the storage location
   * @param options the options to build it with (clock, operator, listener, polling)
   * @return a new provider
   * @throws Exception if it cannot be opened
   */
  protected abstract LockProvider openProvider(S storage, LockOptions options) throws Exception;

  /**
   * How many threads the contention test runs; lower it for slow storage.
   *
   * @return a thread count
   */
  protected int contentionThreads() {
    return 8;
  }

  /**
   * How many times each contention thread enters the critical section.
   *
   * @return a round count
   */
  protected int contentionRounds() {
    return 25;
  }

  @BeforeEach
  void freshStorage() throws Exception {
    clock = MutableClock.create();
    storage = newStorage();
    events.clear();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = opened.size() - 1; i >= 0; i--) {
      opened.get(i).close();
    }
    opened.clear();
  }

  /**
   * Options for a holder: the shared clock, an operator, a recording listener, fast polling.
   *
   * @param operator the default operator
   * @return options
   */
  protected LockOptions options(String operator) {
    return LockOptions.builder()
        .clock(clock)
        .operator(operator)
        .hostname(operator.substring(operator.indexOf('@') + 1))
        .listener(recorder(operator))
        .pollInterval(Duration.ofMillis(1), Duration.ofMillis(10))
        .build();
  }

  /**
   * A provider acting for {@link #ALICE}, closed after the test.
   *
   * @return a new provider on the test's storage
   * @throws Exception if it cannot be opened
   */
  protected final LockProvider provider() throws Exception {
    return provider(options(ALICE));
  }

  /**
   * A provider with options, closed after the test.
   *
   * @param options the options
   * @return a new provider on the test's storage
   * @throws Exception if it cannot be opened
   */
  protected final LockProvider provider(LockOptions options) throws Exception {
    LockProvider p = openProvider(storage, options);
    opened.add(p);
    return p;
  }

  private LockListener recorder(String who) {
    return new LockListener() {
      @Override
      public void onAcquire(LockInfo acquired) {
        events.add(who + " acquire " + acquired.name());
      }

      @Override
      public void onTakeover(LockInfo previous, LockInfo next) {
        events.add(who + " takeover " + previous.name() + " from " + previous.operator() + " " + previous.id()
            + " to " + next.operator() + " " + next.id());
      }

      @Override
      public void onForceUnlock(LockInfo removed, String by) {
        events.add(who + " force-unlock " + removed.name() + " " + removed.id() + " by " + by);
      }

      @Override
      public void onRelease(LockInfo released) {
        events.add(who + " release " + released.name());
      }

      @Override
      public void onLost(LockInfo lost, LockInfo current) {
        events.add(who + " lost " + lost.name() + " to " + (current == null ? "nobody" : current.operator()));
      }
    };
  }

  private static LockRequest request(String operation) {
    return LockRequest.builder().operation(operation).reason("contract test").build();
  }

  private static LockRequest lease(Duration lease) {
    return LockRequest.builder().operation("deploy").lease(lease).build();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("gave up waiting (30 s) until " + what);
      }
      Thread.sleep(2);
    }
  }

  // ------------------------------------------------------------------ acquire

  @Test
  void acquireStoresWhoWhatWhyAndTheLease() throws Exception {
    LockProvider p = provider();
    Instant now = clock.instant();
    LockRequest req = LockRequest.builder().operation("deploy api").reason("ticket OPS-42").lease(Duration.ofMinutes(10)).build();
    try (Lock lock = p.tryAcquire("deploy", req).orElseThrow()) {
      LockInfo stored = p.inspect("deploy").orElseThrow();
      assertThat(stored).isEqualTo(lock.info());
      assertThat(stored.id()).isEqualTo(lock.id()).isNotBlank();
      assertThat(stored.name()).isEqualTo("deploy");
      assertThat(stored.operator()).isEqualTo(ALICE);
      assertThat(stored.operation()).isEqualTo("deploy api");
      assertThat(stored.reason()).isEqualTo("ticket OPS-42");
      assertThat(stored.createdAt()).isEqualTo(now);
      assertThat(stored.expiresAt()).isEqualTo(now.plus(Duration.ofMinutes(10)));
      assertThat(stored.hostname()).isEqualTo("host-a");
      assertThat(stored.pid()).isEqualTo(ProcessHandle.current().pid());
      assertThat(lock.isHeld()).isTrue();
    }
    assertThat(events).containsExactly(ALICE + " acquire deploy", ALICE + " release deploy");
  }

  @Test
  void defaultLeaseIsThirtyMinutesAndRequestOperatorOverridesTheDefault() throws Exception {
    LockProvider p = provider();
    Lock lock = p.tryAcquire(LockNames.STATE, LockRequest.builder().operator("carol@ci").operation("plan").build()).orElseThrow();
    LockInfo info = p.inspect(LockNames.STATE).orElseThrow();
    assertThat(Duration.between(info.createdAt(), info.expiresAt())).isEqualTo(Duration.ofMinutes(30));
    assertThat(info.operator()).isEqualTo("carol@ci");
    lock.release();
  }

  @Test
  void lockIdsAreUniquePerAcquisition() throws Exception {
    LockProvider p = provider();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Lock lock = p.tryAcquire("deploy", request("deploy")).orElseThrow();
      ids.add(lock.id());
      assertThat(lock.release()).isTrue();
    }
    assertThat(ids).doesNotHaveDuplicates();
  }

  @Test
  void refusedAcquireSaysWhoHoldsItSinceWhenUntilWhen() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    Lock held = alice.tryAcquire("deploy", request("deploy web")).orElseThrow();

    assertThat(bob.tryAcquire("deploy", request("restart"))).isEmpty();
    assertThatThrownBy(() -> bob.acquire("deploy", request("restart"), Duration.ZERO))
        .isInstanceOfSatisfying(LockTimeoutException.class, e -> {
          assertThat(e.holder()).contains(held.info());
          assertThat(e.retryable()).isTrue();
          assertThat(e.getMessage())
              .contains("deploy", ALICE, "deploy web", held.info().createdAt().toString(),
                  held.info().expiresAt().toString(), held.id(), "forceUnlock");
        });
    assertThat(alice.inspect("deploy")).contains(held.info());
  }

  @Test
  void locksAreNotReentrant() throws Exception {
    LockProvider p = provider();
    Lock lock = p.tryAcquire("deploy", request("deploy")).orElseThrow();
    assertThat(p.tryAcquire("deploy", request("deploy again"))).isEmpty();
    assertThat(p.inspect("deploy")).contains(lock.info());
  }

  @Test
  void differentNamesAreIndependent() throws Exception {
    LockProvider p = provider();
    Lock state = p.tryAcquire(LockNames.STATE, request("migrate")).orElseThrow();
    Lock web = p.tryAcquire(LockNames.forResource("linode:42"), request("resize")).orElseThrow();
    Lock db = p.tryAcquire(LockNames.forResource("aws:arn:aws:ec2/i-0abc"), request("reboot")).orElseThrow();
    assertThat(List.of(state.id(), web.id(), db.id())).doesNotHaveDuplicates();
    assertThat(p.inspect(LockNames.forResource("linode:42"))).contains(web.info());
    web.release();
    assertThat(p.inspect(LockNames.forResource("linode:42"))).isEmpty();
    assertThat(p.inspect(LockNames.STATE)).contains(state.info());
    assertThat(p.inspect(LockNames.forResource("aws:arn:aws:ec2/i-0abc"))).contains(db.info());
  }

  // ------------------------------------------------------------------ release

  @Test
  void releaseFreesTheLockAndTwiceIsHarmless() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    Lock lock = alice.tryAcquire("deploy", request("deploy")).orElseThrow();
    assertThat(lock.release()).isTrue();
    assertThat(lock.release()).isFalse();
    lock.close();
    assertThat(lock.isHeld()).isFalse();
    assertThat(alice.inspect("deploy")).isEmpty();
    Lock bobs = bob.tryAcquire("deploy", request("deploy")).orElseThrow();
    assertThat(bob.inspect("deploy")).contains(bobs.info());
    assertThatThrownBy(lock::renew).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void onlyTheHolderReleasesEvenAfterItsLockWasTakenOver() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    Lock old = alice.tryAcquire("deploy", lease(Duration.ofMinutes(5))).orElseThrow();
    clock.advance(Duration.ofMinutes(5));
    Lock taken = bob.tryAcquire("deploy", lease(Duration.ofMinutes(5))).orElseThrow();

    assertThat(old.release()).isFalse();
    assertThat(old.isHeld()).isFalse();
    assertThat(bob.inspect("deploy")).contains(taken.info());
    assertThat(taken.isHeld()).isTrue();
    assertThat(events).contains(ALICE + " lost deploy to " + BOB);
  }

  @Test
  void releaseOfAnExpiredLockNobodyTookOverStillFreesIt() throws Exception {
    LockProvider p = provider();
    Lock lock = p.tryAcquire("deploy", lease(Duration.ofMinutes(1))).orElseThrow();
    clock.advance(Duration.ofHours(2));
    assertThat(lock.isHeld()).isFalse();
    assertThat(lock.release()).isTrue();
    assertThat(p.inspect("deploy")).isEmpty();
  }

  // ------------------------------------------------------------------ leases

  @Test
  void staleLockIsTakenOverExactlyWhenItsLeaseEnds() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    Lock old = alice.tryAcquire("deploy", lease(Duration.ofMinutes(30))).orElseThrow();
    Instant expiry = old.info().expiresAt();

    clock.set(expiry.minusNanos(1));
    assertThat(bob.tryAcquire("deploy", request("deploy"))).isEmpty();
    assertThat(alice.inspect("deploy")).contains(old.info());

    clock.set(expiry);
    Lock taken = bob.tryAcquire("deploy", request("deploy")).orElseThrow();
    LockInfo now = bob.inspect("deploy").orElseThrow();
    assertThat(now).isEqualTo(taken.info());
    assertThat(now.operator()).isEqualTo(BOB);
    assertThat(now.id()).isNotEqualTo(old.id());
    assertThat(now.createdAt()).isEqualTo(expiry);
    assertThat(events).contains(BOB + " takeover deploy from " + ALICE + " " + old.id() + " to " + BOB + " " + taken.id());
  }

  @Test
  void renewalKeepsTheLockPastItsFirstLease() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    Lock lock = alice.tryAcquire("deploy", lease(Duration.ofMinutes(30))).orElseThrow();
    Instant first = lock.info().expiresAt();

    clock.advance(Duration.ofMinutes(20));
    LockInfo renewed = lock.renew();
    assertThat(renewed.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(30)));
    assertThat(renewed.createdAt()).isEqualTo(lock.info().createdAt());
    assertThat(renewed.id()).isEqualTo(lock.id());
    assertThat(alice.inspect("deploy")).contains(renewed);

    clock.set(first.plusSeconds(1));
    assertThat(bob.tryAcquire("deploy", request("deploy"))).isEmpty();
    assertThat(lock.isHeld()).isTrue();

    LockInfo longer = lock.renew(Duration.ofHours(2));
    assertThat(longer.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(2)));
  }

  @Test
  void renewingALockThatWasTakenOverFailsAndNamesTheNewHolder() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    Lock old = alice.tryAcquire("deploy", lease(Duration.ofMinutes(1))).orElseThrow();
    clock.advance(Duration.ofMinutes(2));
    Lock taken = bob.tryAcquire("deploy", request("deploy")).orElseThrow();

    assertThatThrownBy(old::renew)
        .isInstanceOfSatisfying(LockHeldException.class, e -> {
          assertThat(e.holder()).contains(taken.info());
          assertThat(e.getMessage()).contains(BOB, "deploy");
        });
    assertThat(bob.inspect("deploy")).contains(taken.info());
  }

  @Test
  void automaticRenewalKeepsTheLockWhileHeldAndStopsOnRelease() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    LockRequest req = LockRequest.builder().operation("long deploy").lease(Duration.ofMinutes(30))
        .renewEvery(Duration.ofMillis(5)).build();
    Lock lock = alice.tryAcquire("deploy", req).orElseThrow();
    Instant first = lock.info().expiresAt();

    Instant t1 = clock.advance(Duration.ofMinutes(20));
    await(() -> alice.inspect("deploy").orElseThrow().expiresAt().equals(t1.plus(Duration.ofMinutes(30))),
        "the lock is renewed to 30 minutes after " + t1);
    clock.set(first.plusSeconds(60));
    assertThat(bob.tryAcquire("deploy", request("deploy"))).isEmpty();

    assertThat(lock.release()).isTrue();
    assertThat(alice.inspect("deploy")).isEmpty();
    Lock bobs = bob.tryAcquire("deploy", request("deploy")).orElseThrow();
    clock.advance(Duration.ofMinutes(5));
    Thread.sleep(50); // renewal period 5 ms: a renewal still running would now touch bob's lock
    assertThat(bob.inspect("deploy")).contains(bobs.info());
  }

  @Test
  void automaticRenewalStopsWhenTheLockIsLost() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    LockRequest req = LockRequest.builder().operation("deploy").lease(Duration.ofMinutes(30))
        .renewEvery(Duration.ofMillis(5)).build();
    Lock lock = alice.tryAcquire("deploy", req).orElseThrow();
    assertThat(bob.forceUnlock("deploy", lock.id())).isTrue();
    Lock bobs = bob.tryAcquire("deploy", request("deploy")).orElseThrow();
    await(() -> events.stream().anyMatch(e -> e.startsWith(ALICE + " lost deploy")), "alice's renewal notices the loss");
    assertThat(bob.inspect("deploy")).contains(bobs.info());
    assertThat(lock.isHeld()).isFalse();
  }

  // ------------------------------------------------------------------ force-unlock

  @Test
  void forceUnlockNeedsTheRightIdAndIsReported() throws Exception {
    LockProvider alice = provider();
    LockProvider operator = provider(options(BOB));
    Lock lock = alice.tryAcquire("deploy", request("deploy")).orElseThrow();

    assertThat(operator.forceUnlock("deploy", "lock_not-the-id")).isFalse();
    assertThat(operator.inspect("deploy")).contains(lock.info());
    assertThat(operator.forceUnlock("other", lock.id())).isFalse();

    assertThat(operator.forceUnlock("deploy", lock.id())).isTrue();
    assertThat(operator.inspect("deploy")).isEmpty();
    assertThat(operator.forceUnlock("deploy", lock.id())).isFalse();
    assertThat(events).contains(BOB + " force-unlock deploy " + lock.id() + " by " + BOB);

    assertThat(lock.release()).isFalse();
    assertThat(events).contains(ALICE + " lost deploy to nobody");
  }

  // ------------------------------------------------------------------ names

  @ParameterizedTest
  @ValueSource(strings = {"", "..", "../x", "a/b", "/etc/passwd", "a\\b", "..\\x", "a\u0000b", "a\nb", "a\u001fb", "x..y"})
  void invalidNamesAreRefusedWithTheRuleNamed(String name) throws Exception {
    LockProvider p = provider();
    String rule = name.isEmpty() ? "empty"
        : name.indexOf('\u0000') >= 0 ? "NUL"
        : name.chars().anyMatch(Character::isISOControl) ? "control"
        : name.contains("/") || name.contains("\\") ? "separator"
        : "'..'";
    assertThatThrownBy(() -> p.tryAcquire(name, request("x"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(rule);
    assertThatThrownBy(() -> p.acquire(name, request("x"), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(rule);
    assertThatThrownBy(() -> p.inspect(name)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(rule);
    assertThatThrownBy(() -> p.forceUnlock(name, "lock_x")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(rule);
  }

  @Test
  void overlongNamesAreRefusedAndTheLimitIsAllowed() throws Exception {
    LockProvider p = provider();
    String max = "n".repeat(LockNames.MAX_LENGTH);
    assertThatThrownBy(() -> p.tryAcquire(max + "n", request("x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit is " + LockNames.MAX_LENGTH);
    Lock lock = p.tryAcquire(max, request("x")).orElseThrow();
    assertThat(p.inspect(max)).contains(lock.info());
  }

  // ------------------------------------------------------------------ waiting

  @Test
  void waitingAcquireGetsTheLockWhenItIsReleased() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    Lock held = alice.tryAcquire("deploy", request("deploy")).orElseThrow();
    ExecutorService ex = Executors.newSingleThreadExecutor();
    try {
      Future<Lock> waiting = ex.submit(() -> bob.acquire("deploy", request("deploy"), Duration.ofSeconds(60)));
      Thread.sleep(30);
      assertThat(waiting).isNotDone();
      held.release();
      Lock got = waiting.get(60, TimeUnit.SECONDS);
      assertThat(bob.inspect("deploy")).contains(got.info());
      assertThat(got.info().operator()).isEqualTo(BOB);
    } finally {
      ex.shutdownNow();
    }
  }

  @Test
  void waitingAcquireTakesOverWhenTheLeaseEnds() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    Lock held = alice.tryAcquire("deploy", lease(Duration.ofMinutes(10))).orElseThrow();
    ExecutorService ex = Executors.newSingleThreadExecutor();
    try {
      Future<Lock> waiting = ex.submit(() -> bob.acquire("deploy", request("deploy"), Duration.ofSeconds(60)));
      Thread.sleep(30);
      assertThat(waiting).isNotDone();
      clock.set(held.info().expiresAt());
      Lock got = waiting.get(60, TimeUnit.SECONDS);
      assertThat(got.info().operator()).isEqualTo(BOB);
      assertThat(events).anyMatch(e -> e.startsWith(BOB + " takeover deploy from " + ALICE + " " + held.id()));
    } finally {
      ex.shutdownNow();
    }
  }

  @Test
  void acquireGivesUpAfterTheTimeoutAndSaysWhoHoldsIt() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    Lock held = alice.tryAcquire("deploy", request("deploy")).orElseThrow();
    assertThatThrownBy(() -> bob.acquire("deploy", request("deploy"), Duration.ofMillis(100)))
        .isInstanceOfSatisfying(LockTimeoutException.class, e -> {
          assertThat(e.waited()).isEqualTo(Duration.ofMillis(100));
          assertThat(e.holder()).contains(held.info());
          assertThat(e.getMessage()).contains(ALICE, held.info().expiresAt().toString());
        });
  }

  // ------------------------------------------------------------------ contention

  @Test
  void contendingThreadsNeverOverlapInTheCriticalSection() throws Exception {
    LockProvider[] providers = {provider(), provider(options(BOB))};
    int threads = contentionThreads();
    int rounds = contentionRounds();
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger entries = new AtomicInteger();
    List<Long> tokens = new CopyOnWriteArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService ex = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        LockProvider p = providers[t % 2];
        done.add(ex.submit(() -> {
          start.await();
          for (int r = 0; r < rounds; r++) {
            try (Lock lock = p.acquire("critical", request("count"), Duration.ofSeconds(120))) {
              if (inside.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
              }
              entries.incrementAndGet();
              tokens.add(lock.token());
              Thread.yield();
              inside.decrementAndGet();
            }
          }
          return null;
        }));
      }
      start.countDown();
      Futures.awaitAll(done, Duration.ofMinutes(5));
    } finally {
      ex.shutdownNow();
    }
    assertThat(overlaps).hasValue(0);
    assertThat(entries).hasValue(threads * rounds);
    assertThat(providers[0].inspect("critical")).isEmpty();
    // the critical sections never overlapped, so this is the order of acquisition
    assertThat(tokens).hasSize(threads * rounds);
    for (int i = 1; i < tokens.size(); i++) {
      assertThat(tokens.get(i)).as("token of entry %d after %d", i, tokens.get(i - 1)).isGreaterThan(tokens.get(i - 1));
    }
  }

  // ------------------------------------------------------------------ fencing tokens

  @Test
  void tokensGrowWithEveryAcquisitionAlsoAfterARelease() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    long previous = 0;
    for (int i = 0; i < 6; i++) {
      LockProvider p = i % 2 == 0 ? alice : bob;
      Lock lock = p.tryAcquire("deploy", request("deploy")).orElseThrow();
      assertThat(lock.token()).isGreaterThan(previous).isEqualTo(lock.info().token());
      assertThat(p.inspect("deploy").orElseThrow().token()).isEqualTo(lock.token());
      if (previous > 0) {
        assertThat(lock.token()).isEqualTo(previous + 1);
      }
      previous = lock.token();
      assertThat(lock.release()).isTrue();
      assertThat(p.inspect("deploy")).isEmpty();
    }
    // a provider opened later (another process) continues the count
    LockProvider carol = provider(options("carol@host-c"));
    try (Lock lock = carol.tryAcquire("deploy", request("deploy")).orElseThrow()) {
      assertThat(lock.token()).isEqualTo(previous + 1);
    }
  }

  @Test
  void aTakeoverGetsALargerTokenThanTheLockItTookOver() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    Lock old = alice.tryAcquire("deploy", lease(Duration.ofMinutes(5))).orElseThrow();
    Lock renewed = old;
    old.renew();
    assertThat(renewed.token()).as("a renewal keeps the token").isEqualTo(old.info().token());
    clock.advance(Duration.ofMinutes(6));
    Lock taken = bob.tryAcquire("deploy", lease(Duration.ofMinutes(5))).orElseThrow();
    assertThat(taken.token()).isEqualTo(old.token() + 1);
    assertThat(bob.inspect("deploy").orElseThrow().token()).isEqualTo(taken.token());
    assertThat(old.release()).isFalse();
    assertThat(bob.inspect("deploy").orElseThrow().token()).isEqualTo(taken.token());
    assertThat(taken.release()).isTrue();
    Lock again = alice.tryAcquire("deploy", lease(Duration.ofMinutes(5))).orElseThrow();
    assertThat(again.token()).isEqualTo(taken.token() + 1);
  }

  @Test
  void aForceUnlockKeepsTheCount() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    Lock old = alice.tryAcquire("deploy", request("deploy")).orElseThrow();
    assertThat(bob.forceUnlock("deploy", old.id())).isTrue();
    assertThat(bob.forceUnlock("deploy", old.id())).as("a released lock is not unlocked twice").isFalse();
    assertThat(old.isHeld()).isFalse();
    Lock next = bob.tryAcquire("deploy", request("deploy")).orElseThrow();
    assertThat(next.token()).isEqualTo(old.token() + 1);
    assertThat(old.release()).isFalse();
    assertThat(next.isHeld()).isTrue();
  }

  @Test
  void namesCountTheirTokensApart() throws Exception {
    LockProvider p = provider();
    Lock a = p.tryAcquire("deploy", request("deploy")).orElseThrow();
    a.release();
    Lock a2 = p.tryAcquire("deploy", request("deploy")).orElseThrow();
    Lock b = p.tryAcquire("backup", request("backup")).orElseThrow();
    assertThat(a2.token()).isEqualTo(a.token() + 1);
    assertThat(b.token()).as("a first acquisition starts at the clock's milliseconds").isEqualTo(clock.instant().toEpochMilli());
  }

  // ------------------------------------------------------------------ listing

  @Test
  void listOfEmptyStorageIsEmpty() throws Exception {
    assertThat(provider().list()).isEmpty();
  }

  @Test
  void listShowsHeldAndStaleLocksByNameButNotReleasedOnes() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    String web = LockNames.forResource("linode:42");
    Lock webLock = bob.tryAcquire(web, lease(Duration.ofMinutes(10))).orElseThrow();
    Lock deploy = alice.tryAcquire("deploy", LockRequest.builder().operation("deploy api").reason("ticket OPS-42")
        .lease(Duration.ofMinutes(30)).build()).orElseThrow();
    Lock migrate = alice.tryAcquire("migrate", request("migrate")).orElseThrow();
    assertThat(alice.list()).containsExactly(deploy.info(), migrate.info(), webLock.info());

    assertThat(migrate.release()).isTrue();
    assertThat(bob.list()).as("a released lock is not listed").containsExactly(deploy.info(), webLock.info());

    clock.advance(Duration.ofMinutes(10)); // the web lock's lease ends and nobody takes it over
    List<LockInfo> listed = alice.list();
    assertThat(listed).as("a stale lock is still listed").containsExactly(deploy.info(), webLock.info());
    assertThat(listed.get(0).operator()).isEqualTo(ALICE);
    assertThat(listed.get(0).operation()).isEqualTo("deploy api");
    assertThat(listed.get(0).reason()).isEqualTo("ticket OPS-42");
    assertThat(listed.get(0).isExpired(clock.instant())).isFalse();
    assertThat(listed.get(1).operator()).isEqualTo(BOB);
    assertThat(listed.get(1).isExpired(clock.instant())).isTrue();

    assertThat(webLock.release()).isTrue();
    deploy.release();
    assertThat(alice.list()).isEmpty();
  }

  // ------------------------------------------------------------------ lifecycle

  @Test
  void closingAProviderLeavesItsLocksUntilTheirLeaseEnds() throws Exception {
    LockProvider alice = provider();
    LockProvider bob = provider(options(BOB));
    Lock held = alice.tryAcquire("deploy", lease(Duration.ofMinutes(10))).orElseThrow();
    alice.close();
    assertThatThrownBy(() -> alice.tryAcquire("other", request("x"))).isInstanceOf(IllegalStateException.class);
    assertThat(bob.inspect("deploy")).contains(held.info());
    assertThat(bob.tryAcquire("deploy", request("deploy"))).isEmpty();
    clock.set(held.info().expiresAt());
    assertThat(bob.tryAcquire("deploy", request("deploy"))).isPresent();
  }

  @Test
  void inspectOfAFreeNameIsEmpty() throws Exception {
    assertThat(provider().inspect("nothing-here")).isEqualTo(Optional.empty());
  }
}
