package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.lock.LockRequest;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.WriteLeases;
import io.infrastate.testkit.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clone mode: while another writer holds the state's write lease, a save reports a conflict and
 * pushes nothing, so that the holder's compare-and-swap cannot lose to writers that did not queue
 * for the lease; a writer's own lease, a released one and an expired one do not hold it back.
 */
class GitWriteLeaseTest {
  @TempDir Path tmp;

  private GitBackend clone(Path remote, String dir) {
    return GitBackend.builder().remote(remote.toString()).cloneDirectory(tmp.resolve(dir)).build();
  }

  private static SaveResult saveNext(GitBackend b, String operator) {
    StoredState seen = b.load().orElseThrow();
    Snapshot s = seen.snapshot();
    Snapshot next = s.withMetadata(s.metadata().withSerial(s.metadata().serial() + 1, s.metadata().updatedAt()));
    return b.save(new SaveRequest(seen.token(), next, List.of(), AuditEntry.of("write by " + operator).withOperator(operator)));
  }

  private static LockRequest lease() {
    return LockRequest.builder().operation("writers take turns").lease(Duration.ofMinutes(1)).build();
  }

  @Test
  void aSaveWhileAnotherWriterHoldsTheWriteLeaseIsAConflictThatPushesNothing() {
    Path remote = Cli.bare(tmp, "infra.git");
    try (GitBackend holder = clone(remote, "holder");
        GitBackend other = clone(remote, "other");
        State s = State.load(holder, StateOptions.builder().operator("setup").build())) {
      s.addHost(HostState.builder("web01").address("10.0.0.5").build());
      String tip = Cli.tip(remote, "main");
      try (LockProvider holderLeases = holder.writeLeases(LockOptions.defaults());
          Lock held = holderLeases.acquire(WriteLeases.LEASE_NAME, lease(), Duration.ofSeconds(30))) {
        SaveResult refused = saveNext(other, "racer");
        assertThat(refused).isInstanceOf(SaveResult.Conflict.class);
        assertThat(((SaveResult.Conflict) refused).current().orElseThrow().snapshot().hasHost("web01")).isTrue();
        assertThat(Cli.tip(remote, "main")).as("nothing was pushed").isEqualTo(tip);
        // the holder's own lease does not hold it back
        assertThat(saveNext(holder, "holder")).isInstanceOf(SaveResult.Saved.class);
      }
      // released: the other writer goes ahead
      assertThat(saveNext(other, "racer")).isInstanceOf(SaveResult.Saved.class);
    }
    assertThat(Cli.git(remote, "log", "--format=%an", "main").strip().split("\n")).containsExactly("racer", "holder", "setup");
  }

  @Test
  void anExpiredWriteLeaseDoesNotHoldWritersBack() {
    Path remote = Cli.bare(tmp, "infra.git");
    MutableClock past = MutableClock.at(Instant.now().minus(Duration.ofHours(1)));
    try (GitBackend stalled = clone(remote, "stalled");
        GitBackend other = clone(remote, "other");
        State s = State.load(stalled)) {
      s.addHost(HostState.builder("web01").address("10.0.0.5").build());
      try (LockProvider stalledLeases = stalled.writeLeases(LockOptions.builder().clock(past).build())) {
        stalledLeases.acquire(WriteLeases.LEASE_NAME, lease(), Duration.ofSeconds(30)); // never released
        assertThat(saveNext(other, "racer")).isInstanceOf(SaveResult.Saved.class);
      }
    }
  }

  @Test
  void aLocalRepositoryIgnoresTheWriteLeaseAndUsesItsBranchWriteLock() {
    Path repo = Cli.bare(tmp, "infra.git");
    try (GitBackend holder = GitBackend.builder().repository(repo).build();
        GitBackend other = GitBackend.builder().repository(repo).build();
        State s = State.load(holder)) {
      s.addHost(HostState.builder("web01").address("10.0.0.5").build());
      try (LockProvider holderLeases = holder.writeLeases(LockOptions.defaults());
          Lock held = holderLeases.acquire(WriteLeases.LEASE_NAME, lease(), Duration.ofSeconds(30))) {
        assertThat(saveNext(other, "racer")).isInstanceOf(SaveResult.Saved.class);
      }
    }
  }
}
