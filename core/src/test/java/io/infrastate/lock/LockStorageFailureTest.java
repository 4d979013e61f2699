package io.infrastate.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.BackendException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Storage failures around acquire and release never leave a lock behind that nobody knows about.
 * The provider here is an in-memory table with faults injected on demand (a reply lost after the
 * write took effect, a storage outage), which no real store produces when asked.
 */
class LockStorageFailureTest {
  /** An in-memory lock table whose primitives fail as told. */
  static final class FaultyProvider extends AbstractLockProvider {
    final ConcurrentMap<String, LockRecord> table = new ConcurrentHashMap<>();
    final AtomicLong versions = new AtomicLong();
    /** Writes that take effect and then report a retryable failure, as a lost reply does. */
    final AtomicInteger lostReplies = new AtomicInteger();
    /**
     * Writes that take effect and then report "not stored", as a storage client does that retried
     * a conditional write after a lost reply and found its own write.
     */
    final AtomicInteger retriedWrites = new AtomicInteger();
    /** Calls of any primitive that fail before touching the table. */
    final AtomicInteger outages = new AtomicInteger();
    boolean outagesRetryable = true;
    final AtomicInteger replaces = new AtomicInteger();

    FaultyProvider() {
      super(LockOptions.builder().operator("alice").hostname("h").pid(1).build());
    }

    private void maybeFail(String what) {
      if (outages.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new BackendException("storage unavailable during " + what, null, outagesRetryable);
      }
    }

    private boolean reply(boolean result, String what) {
      if (result && lostReplies.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new BackendException("connection reset after " + what, null, true);
      }
      if (result && retriedWrites.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return false;
      }
      return result;
    }

    @Override
    protected Optional<LockRecord> readLock(String name) {
      maybeFail("read");
      return Optional.ofNullable(table.get(name));
    }

    @Override
    protected java.util.List<LockRecord> readLocks() {
      maybeFail("list");
      return java.util.List.copyOf(table.values());
    }

    @Override
    protected boolean createLock(String name, LockInfo info) {
      maybeFail("create");
      return reply(table.putIfAbsent(name, new LockRecord(info, Long.toString(versions.incrementAndGet()))) == null, "create");
    }

    @Override
    protected boolean replaceLock(String name, LockRecord expected, LockInfo next) {
      maybeFail("replace");
      replaces.incrementAndGet();
      return reply(table.replace(name, expected, new LockRecord(next, Long.toString(versions.incrementAndGet()))), "replace");
    }

    @Override
    protected boolean deleteLock(String name, LockRecord expected) {
      maybeFail("delete");
      return reply(table.remove(name, expected), "delete");
    }

    @Override
    public String location() {
      return "faulty";
    }
  }

  final FaultyProvider locks = new FaultyProvider();

  /** The lock is free: only its released record, carrying its token, is stored. */
  private void assertReleased(Lock lock) {
    assertThat(locks.inspect("deploy")).isEmpty();
    LockInfo stored = locks.table.get("deploy").info();
    assertThat(stored.released()).isTrue();
    assertThat(stored.id()).isEqualTo(lock.id());
    assertThat(stored.token()).isEqualTo(lock.token());
  }

  @Test
  void aCreateWhoseReplyIsLostButThatTookEffectIsHeldByTheCaller() {
    locks.lostReplies.set(1);
    Lock lock = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow();
    assertThat(locks.table.get("deploy").info().id()).isEqualTo(lock.id());
    assertThat(lock.release()).isTrue();
    assertReleased(lock);
  }

  @Test
  void aCreateThatFailedBeforeStoringAnythingReportsTheFailureAndStoresNothing() {
    locks.outages.set(1);
    assertThatThrownBy(() -> locks.tryAcquire("deploy", LockRequest.of("deploy")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("storage unavailable during create");
    assertThat(locks.table).isEmpty();
    assertThat(locks.tryAcquire("deploy", LockRequest.of("deploy"))).isPresent();
  }

  @Test
  void aTakeoverWhoseReplyIsLostButThatTookEffectIsHeldByTheCaller() {
    Lock stale = locks.tryAcquire("deploy", LockRequest.builder().lease(Duration.ofNanos(1)).build()).orElseThrow();
    locks.lostReplies.set(1);
    Lock taken = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow();
    assertThat(taken.id()).isNotEqualTo(stale.id());
    assertThat(locks.table.get("deploy").info().id()).isEqualTo(taken.id());
  }

  @Test
  void aCreateReportedAsNotStoredThatWasStoredIsHeldByTheCaller() {
    locks.retriedWrites.set(1);
    Lock lock = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow();
    assertThat(locks.table.get("deploy").info().id()).isEqualTo(lock.id());
    assertThat(locks.table).hasSize(1);
  }

  @Test
  void aTakeoverReportedAsNotStoredThatWasStoredIsHeldByTheCaller() {
    Lock stale = locks.tryAcquire("deploy", LockRequest.builder().lease(Duration.ofNanos(1)).build()).orElseThrow();
    locks.retriedWrites.set(1);
    Lock taken = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow();
    assertThat(taken.id()).isNotEqualTo(stale.id());
    assertThat(locks.table.get("deploy").info().id()).isEqualTo(taken.id());
    assertThat(stale.isHeld()).isFalse();
  }

  @Test
  void releaseRidesOutAShortOutageAndDeletesTheLock() {
    Lock lock = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow();
    locks.outages.set(2);
    assertThat(lock.release()).isTrue();
    assertReleased(lock);
    assertThat(lock.isHeld()).isFalse();
  }

  @Test
  void releaseWhoseDeleteTookEffectButLostItsReplyEndsReleased() {
    Lock lock = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow();
    locks.lostReplies.set(1);
    lock.release(); // the retry finds the lock released
    assertReleased(lock);
    assertThat(lock.release()).isFalse();
  }

  @Test
  void releaseGivesUpAfterALongOutageKeepsTheLockAndCanBeCalledAgain() {
    Lock lock = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow();
    locks.outages.set(1_000);
    assertThatThrownBy(lock::release)
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("storage unavailable");
    assertThat(locks.outages.get()).isEqualTo(1_000 - 4); // four attempts, then it gave up
    assertThat(locks.table.get("deploy").info().id()).isEqualTo(lock.id());
    locks.outages.set(0);
    assertThat(lock.release()).isTrue();
    assertReleased(lock);
  }

  @Test
  void releaseDoesNotRetryAFailureThatIsNotRetryable() {
    Lock lock = locks.tryAcquire("deploy", LockRequest.of("deploy")).orElseThrow();
    locks.outagesRetryable = false;
    locks.outages.set(1_000);
    assertThatThrownBy(lock::release).isInstanceOf(BackendException.class);
    assertThat(locks.outages.get()).isEqualTo(999);
    assertThat(locks.replaces).hasValue(0);
  }
}
