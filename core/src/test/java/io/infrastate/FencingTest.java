package io.infrastate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.lock.Lock;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import io.infrastate.lock.TestClock;
import io.infrastate.memory.InMemoryBackend;
import io.infrastate.memory.InMemoryLockProvider;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.LockLostException;
import io.infrastate.model.Snapshot;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Writes made under a lock record its fencing token, and a lost lock cannot write. */
class FencingTest {
  final TestClock clock = new TestClock();
  final InMemoryBackend backend = InMemoryBackend.create();
  final InMemoryLockProvider alices = InMemoryLockProvider.create(LockOptions.builder().clock(clock).operator("alice").build());
  final InMemoryLockProvider bobs = alices.withOptions(LockOptions.builder().clock(clock).operator("bob").build());

  static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.1").build();
  }

  static LockRequest lease(Duration d) {
    return LockRequest.builder().operation("deploy").lease(d).build();
  }

  @Test
  void aWriteUnderALockRecordsItsTokenAndLaterWritesKeepIt() {
    try (State state = State.load(backend)) {
      Lock lock = alices.tryAcquire("deploy", lease(Duration.ofMinutes(5))).orElseThrow();
      Snapshot s = state.update(lock, AuditEntry.of("deploy web"), tx -> tx.addHost(host("web01")));
      assertThat(s.metadata().fences()).containsExactly(java.util.Map.entry("deploy", lock.token()));
      state.addHost(host("web02"));
      assertThat(state.metadata().fence("deploy")).isEqualTo(lock.token());
      lock.release();
    }
    try (State again = State.load(backend)) {
      assertThat(again.metadata().fences()).containsKey("deploy");
    }
  }

  @Test
  void aHolderWhoseLockWasTakenOverCannotWriteEvenFromAStaleCopy() {
    try (State alice = State.load(backend); State bob = State.load(backend)) {
      alice.addHost(host("base"));
      Lock old = alices.tryAcquire("deploy", lease(Duration.ofSeconds(1))).orElseThrow();
      alice.update(old, AuditEntry.of("deploy 1"), tx -> tx.addHost(host("web01")));
      clock.advance(Duration.ofSeconds(2)); // alice pauses past her lease
      bob.refresh();
      Lock taken = bobs.tryAcquire("deploy", lease(Duration.ofMinutes(5))).orElseThrow();
      assertThat(taken.token()).isGreaterThan(old.token());
      bob.update(taken, AuditEntry.of("deploy 2"), tx -> tx.addHost(host("web02")));
      long serial = bob.metadata().serial();

      // alice's copy is stale: her write conflicts, is re-applied on bob's version, and refused there
      assertThatThrownBy(() -> alice.update(old, AuditEntry.of("deploy 1, late"), tx -> tx.addHost(host("web03"))))
          .isInstanceOfSatisfying(LockLostException.class, e -> {
            assertThat(e.lock()).isEqualTo("deploy");
            assertThat(e.token()).isEqualTo(old.token());
            assertThat(e.retryable()).isFalse();
            assertThat(e.getMessage()).contains("deploy", "no longer held", "Nothing was written");
          });
      try (State fresh = State.load(backend)) {
        assertThat(fresh.metadata().serial()).isEqualTo(serial);
        assertThat(fresh.hasHost("web03")).isFalse();
        assertThat(fresh.metadata().fence("deploy")).isEqualTo(taken.token());
      }
    }
  }

  /**
   * A lock whose holder checked it just before its lease ended: the provider's answer is stale by
   * the time of the save. A real provider cannot be stopped in that window on demand, so the
   * window is injected here by answering the held check with what it was a moment earlier.
   */
  static Lock checkedJustBeforeItWasLost(Lock real) {
    return new Lock() {
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
        return real.info();
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
        return true;
      }

      @Override
      public boolean release() {
        return real.release();
      }

      @Override
      public void close() {
        real.close();
      }
    };
  }

  @Test
  void theTokenCheckIsAtomicWithTheSaveWhenTheHeldCheckCameTooEarly() {
    try (State alice = State.load(backend); State bob = State.load(backend)) {
      Lock old = alices.tryAcquire("deploy", lease(Duration.ofSeconds(1))).orElseThrow();
      alice.update(old, AuditEntry.of("deploy 1"), tx -> tx.addHost(host("web01")));
      clock.advance(Duration.ofSeconds(2));
      bob.refresh();
      Lock taken = bobs.tryAcquire("deploy", lease(Duration.ofMinutes(5))).orElseThrow();
      bob.update(taken, AuditEntry.of("deploy 2"), tx -> tx.addHost(host("web02")));
      long serial = bob.metadata().serial();
      // alice's copy still shows her own token; her save conflicts, and the attempt on bob's
      // version finds his larger token
      assertThatThrownBy(() -> alice.update(checkedJustBeforeItWasLost(old), AuditEntry.of("late"),
              tx -> tx.addHost(host("web03"))))
          .isInstanceOfSatisfying(LockLostException.class, e -> {
            assertThat(e.token()).isEqualTo(old.token());
            assertThat(e.recorded()).isEqualTo(taken.token());
            assertThat(e.getMessage()).contains("deploy", "records token " + taken.token(), "Nothing was written");
          });
      try (State fresh = State.load(backend)) {
        assertThat(fresh.metadata().serial()).isEqualTo(serial);
        assertThat(fresh.hasHost("web03")).isFalse();
      }
    }
  }

  @Test
  void aLockWhoseLeaseEndedCannotWriteEvenIfNobodyTookItOver() {
    try (State state = State.load(backend)) {
      Lock lock = alices.tryAcquire("deploy", lease(Duration.ofSeconds(1))).orElseThrow();
      clock.advance(Duration.ofSeconds(1));
      assertThatThrownBy(() -> state.update(lock, AuditEntry.of("late"), tx -> tx.addHost(host("web01"))))
          .isInstanceOf(LockLostException.class)
          .hasMessageContaining("no longer held by that id");
      assertThat(state.hasHost("web01")).isFalse();
      assertThat(backend.history(10)).isEmpty();
    }
  }

  @Test
  void aReleasedOrForceUnlockedLockCannotWrite() {
    try (State state = State.load(backend)) {
      Lock released = alices.tryAcquire("deploy", lease(Duration.ofMinutes(5))).orElseThrow();
      released.release();
      assertThatThrownBy(() -> state.update(released, AuditEntry.of("x"), tx -> tx.addHost(host("web01"))))
          .isInstanceOf(LockLostException.class);
      Lock unlocked = alices.tryAcquire("deploy", lease(Duration.ofMinutes(5))).orElseThrow();
      assertThat(bobs.forceUnlock("deploy", unlocked.id())).isTrue();
      assertThatThrownBy(() -> state.update(unlocked, AuditEntry.of("x"), tx -> tx.addHost(host("web01"))))
          .isInstanceOf(LockLostException.class);
      assertThat(state.hasHost("web01")).isFalse();
    }
  }

  @Test
  void aLockAttachedByIdFencesAsTheHolderDoes() {
    try (State state = State.load(backend)) {
      Lock held = alices.tryAcquire("deploy", lease(Duration.ofMinutes(5))).orElseThrow();
      Lock attached = bobs.attach("deploy", held.id()).orElseThrow();
      assertThat(attached.token()).isEqualTo(held.token());
      state.update(attached, AuditEntry.of("by id"), tx -> tx.addHost(host("web01")));
      assertThat(state.metadata().fence("deploy")).isEqualTo(held.token());
      assertThat(bobs.attach("deploy", "lock_other")).isEmpty();
      assertThat(attached.release()).isTrue();
      assertThat(bobs.attach("deploy", held.id())).isEmpty();
    }
  }

  @Test
  void aRollbackUnderALockIsFencedAsAnUpdateIs() {
    try (State state = State.load(backend)) {
      state.addHost(host("web01"));
      state.addHost(host("web02"));
      Lock lock = alices.tryAcquire("deploy", lease(Duration.ofSeconds(1))).orElseThrow();
      Snapshot back = state.rollback(lock, 1, AuditEntry.DEFAULT);
      assertThat(back.allHosts()).extracting(HostState::name).containsExactly("web01");
      assertThat(back.metadata().fence("deploy")).isEqualTo(lock.token());
      assertThat(state.history(1).get(0).locks()).containsExactly(java.util.Map.entry("deploy", lock.token()));
      clock.advance(Duration.ofSeconds(1));
      long serial = state.metadata().serial();
      assertThatThrownBy(() -> state.rollback(lock, 2, AuditEntry.DEFAULT)).isInstanceOf(LockLostException.class);
      assertThat(state.metadata().serial()).isEqualTo(serial);
      assertThatThrownBy(() -> state.rollback(null, 2, AuditEntry.DEFAULT)).isInstanceOf(NullPointerException.class);
    }
  }

  @Test
  void tokensOfDifferentLocksAreRecordedApart() {
    try (State state = State.load(backend)) {
      Lock deploy = alices.tryAcquire("deploy", lease(Duration.ofMinutes(5))).orElseThrow();
      clock.advance(Duration.ofSeconds(1));
      Lock backup = alices.tryAcquire("backup", lease(Duration.ofMinutes(5))).orElseThrow();
      state.update(backup, AuditEntry.of("b"), tx -> tx.addHost(host("b")));
      // a smaller token of another lock is no reason to refuse
      state.update(deploy, AuditEntry.of("d"), tx -> tx.addHost(host("d")));
      assertThat(state.metadata().fences()).containsOnlyKeys("backup", "deploy");
    }
  }
}
