package io.infrastate.lock;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.memory.InMemoryBackend;
import io.infrastate.memory.InMemoryLockProvider;
import io.infrastate.model.HostState;
import io.infrastate.model.VersionInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Takeovers and force-unlocks reach the state's history; a failing listener breaks nothing. */
class LockListenerTest {
  final TestClock clock = new TestClock();

  LockOptions as(String operator, LockListener listener) {
    return LockOptions.builder().clock(clock).operator(operator).hostname("h-" + operator).pid(7).listener(listener).build();
  }

  @Test
  void takeoverAndForceUnlockAreRecordedInTheStateHistoryWithBothHolders() {
    InMemoryBackend backend = InMemoryBackend.create();
    try (State state = State.load(backend, StateOptions.builder().clock(clock).operator("app@ci").build())) {
      state.addHost(HostState.builder("web01").address("10.0.0.5").build());
      LockListener recorder = LockListener.recordingTo(state::save);
      InMemoryLockProvider alice = InMemoryLockProvider.create(as("alice", recorder));
      InMemoryLockProvider bob = alice.withOptions(as("bob", recorder));

      Lock old = alice.tryAcquire("deploy-lock", LockRequest.builder().operation("deploy").lease(Duration.ofMinutes(30)).build()).orElseThrow();
      clock.advance(Duration.ofMinutes(31));
      Lock taken = bob.tryAcquire("deploy-lock", LockRequest.of("deploy v2")).orElseThrow();
      assertThat(bob.forceUnlock("deploy-lock", taken.id())).isTrue();

      List<VersionInfo> history = state.history();
      assertThat(history).hasSize(3);
      VersionInfo unlock = history.get(0);
      VersionInfo takeover = history.get(1);
      assertThat(takeover.operator()).isEqualTo("bob");
      assertThat(takeover.operation())
          .startsWith("take over stale lock deploy-lock (held by alice (pid 7 on h-alice) for deploy, since 2026-01-28T10:30:00Z")
          .contains("lease until 2026-01-28T11:00:00Z", old.id());
      assertThat(takeover.reason()).contains("lease expired at 2026-01-28T11:00:00Z", taken.id());
      assertThat(unlock.operator()).isEqualTo("bob");
      assertThat(unlock.operation()).startsWith("force-unlock deploy-lock (held by bob (pid 7 on h-bob) for deploy v2").contains(taken.id());
      assertThat(state.snapshot().hosts()).containsOnlyKeys("web01");
    }
  }

  @Test
  void aFailingListenerDoesNotUndoOrBlockTheLockEvent() {
    List<String> seen = new CopyOnWriteArrayList<>();
    LockListener failing = new LockListener() {
      @Override
      public void onTakeover(LockInfo previous, LockInfo next) {
        throw new IllegalStateException("audit store down");
      }
    };
    LockListener recording = new LockListener() {
      @Override
      public void onTakeover(LockInfo previous, LockInfo next) {
        seen.add(previous.operator() + "->" + next.operator());
      }
    };
    InMemoryLockProvider alice = InMemoryLockProvider.create(as("alice", LockListener.NONE));
    InMemoryLockProvider bob = alice.withOptions(as("bob", failing.andThen(recording)));
    alice.tryAcquire("x", LockRequest.builder().lease(Duration.ofSeconds(5)).build()).orElseThrow();
    clock.advance(Duration.ofSeconds(5));
    Lock taken = bob.tryAcquire("x", LockRequest.of("y")).orElseThrow();
    assertThat(bob.inspect("x")).contains(taken.info());
    assertThat(seen).isEmpty(); // andThen stops at the first failure; the provider logs it
    InMemoryLockProvider carol = alice.withOptions(as("carol", recording.andThen(failing)));
    clock.advance(Duration.ofMinutes(31));
    assertThat(carol.tryAcquire("x", LockRequest.of("z"))).isPresent();
    assertThat(seen).containsExactly("bob->carol");
  }

  @Test
  void lockInfoDescribesWhoWhereWhatSinceAndUntil() {
    LockInfo info = new LockInfo("lock_9", "deploy", "alice@b7", "deploy", "OPS-1",
        Instant.parse("2026-01-01T10:00:00Z"), Instant.parse("2026-01-01T10:30:00Z"), 42, "b7");
    assertThat(info.describe()).isEqualTo(
        "alice@b7 (pid 42 on b7) for deploy (OPS-1), since 2026-01-01T10:00:00Z, lease until 2026-01-01T10:30:00Z, lock id lock_9");
    assertThat(info.isExpired(Instant.parse("2026-01-01T10:29:59.999999999Z"))).isFalse();
    assertThat(info.isExpired(Instant.parse("2026-01-01T10:30:00Z"))).isTrue();
  }
}
