package io.infrastate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.memory.InMemoryBackend;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.CommitOutcomeUnknownException;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.Backend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import io.infrastate.spi.WriteHistory;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Write ids and retries after an unknown outcome, on an in-memory backend that can lose the reply
 * to a save (after storing it, or without storing it): a retry that passes the exception back
 * applies the change exactly once.
 */
class RetriedWriteTest {
  /** Records write ids per serial; the next save can be made to end in an unknown outcome. */
  static final class LossyBackend implements WriteHistory {
    final InMemoryBackend delegate = InMemoryBackend.create();
    final Map<Long, String> ids = new ConcurrentHashMap<>();
    final List<SaveRequest> requests = new CopyOnWriteArrayList<>();
    volatile Boolean loseNext; // null: no fault; true: store, then lose the reply; false: lose the request
    volatile Runnable beforeNextSave;

    @Override
    public String location() {
      return "lossy";
    }

    @Override
    public Optional<StoredState> load() {
      return delegate.load();
    }

    @Override
    public SaveResult save(SaveRequest request) {
      requests.add(request);
      Runnable before = beforeNextSave;
      beforeNextSave = null;
      if (before != null) {
        before.run();
      }
      Boolean lose = loseNext;
      loseNext = null;
      long serial = request.snapshot().metadata().serial();
      if (Boolean.FALSE.equals(lose)) {
        throw new CommitOutcomeUnknownException(location(), serial, request.writeId(), "the request was lost", null);
      }
      SaveResult r = delegate.save(request);
      if (r instanceof SaveResult.Saved) {
        ids.put(serial, request.writeId());
      }
      if (Boolean.TRUE.equals(lose)) {
        throw new CommitOutcomeUnknownException(location(), serial, request.writeId(), "the reply was lost", null);
      }
      return r;
    }

    @Override
    public boolean committedBy(long serial, String writeId) {
      return writeId.equals(ids.get(serial));
    }
  }

  static final Consumer<Transaction> INCREMENT = tx -> {
    ResourceState c = tx.getResource("counter:n").orElseThrow();
    tx.addResource("counter:n", c.withData("count", ((Number) c.data().get("count")).longValue() + 1));
  };

  static long count(State s) {
    return ((Number) s.getResource("counter:n").orElseThrow().data().get("count")).longValue();
  }

  static State counter(Backend b) {
    State s = State.load(b);
    s.addResource("counter:n", ResourceState.builder("counter", "n").data("count", 0).build());
    return s;
  }

  /** The example of CommitOutcomeUnknownException's documentation, verbatim. */
  static void documentedExample(State state) {
    Consumer<Transaction> countDeploy = tx -> {
      ResourceState c = tx.getResource("counter:deploys").orElseThrow();
      tx.addResource("counter:deploys", c.withData("count", ((Number) c.data().get("count")).longValue() + 1));
    };
    try {
      state.update(AuditEntry.of("count a deploy"), countDeploy);
    } catch (CommitOutcomeUnknownException e) {
      // later, once storage answers again: counts once, whether or not the first write was stored
      state.update(AuditEntry.of("count a deploy").retrying(e), countDeploy);
    }
  }

  @Test
  void theDocumentedExampleCountsOnceWhetherOrNotTheFirstWriteWasStored() {
    for (boolean stored : new boolean[] {true, false}) {
      LossyBackend b = new LossyBackend();
      try (State s = State.load(b)) {
        s.addResource("counter:deploys", ResourceState.builder("counter", "deploys").data("count", 0).build());
        b.loseNext = stored;
        documentedExample(s);
        assertThat(b.loseNext).as("the fault was used").isNull();
        assertThat(((Number) s.getResource("counter:deploys").orElseThrow().data().get("count")).longValue())
            .as("stored: " + stored).isEqualTo(1);
        assertThat(s.metadata().serial()).isEqualTo(2);
      }
    }
  }

  @Test
  void aRetryOfAStoredWriteIsANoOp() {
    LossyBackend b = new LossyBackend();
    try (State s = counter(b)) {
      b.loseNext = true;
      CommitOutcomeUnknownException e = org.assertj.core.api.Assertions.catchThrowableOfType(
          () -> s.update(AuditEntry.of("count"), INCREMENT), CommitOutcomeUnknownException.class);
      assertThat(e.serial()).isEqualTo(2);
      assertThat(e.retryToken()).isEqualTo("2:" + e.writeId());
      assertThat(count(s)).isZero(); // not published
      s.update(AuditEntry.of("count").retrying(e), INCREMENT);
      assertThat(count(s)).isEqualTo(1);
      assertThat(b.delegate.load().orElseThrow().snapshot().metadata().serial()).isEqualTo(2);
    }
  }

  @Test
  void aRetryOfALostWriteAppliesItOnce() {
    LossyBackend b = new LossyBackend();
    try (State s = counter(b)) {
      b.loseNext = false;
      CommitOutcomeUnknownException e = org.assertj.core.api.Assertions.catchThrowableOfType(
          () -> s.update(AuditEntry.of("count"), INCREMENT), CommitOutcomeUnknownException.class);
      s.update(AuditEntry.of("count").retrying(e), INCREMENT);
      assertThat(count(s)).isEqualTo(1);
      // and once more through the token, as another process would: already stored? No: 2 is the retry's
      s.update(AuditEntry.of("count").withRetryOf(e.retryToken()), INCREMENT);
      assertThat(count(s)).isEqualTo(2);
    }
  }

  @Test
  void aRetryThatRacesTheLateOriginalIsStillANoOp() {
    LossyBackend b = new LossyBackend();
    try (State s = counter(b); State other = State.load(b)) {
      b.loseNext = true;
      CommitOutcomeUnknownException e = org.assertj.core.api.Assertions.catchThrowableOfType(
          () -> s.update(AuditEntry.of("count"), INCREMENT), CommitOutcomeUnknownException.class);
      other.update(AuditEntry.of("count"), INCREMENT); // another writer counts on top: serial 3
      s.update(AuditEntry.of("count").retrying(e), INCREMENT); // conflicts, reloads 3, finds its write at 2
      assertThat(count(s)).isEqualTo(2);
      assertThat(s.metadata().serial()).isEqualTo(3);
    }
  }

  @Test
  void everyAttemptOfOneWriteCarriesTheSameIdAndWritesDiffer() {
    LossyBackend b = new LossyBackend();
    try (State s = counter(b); State other = State.load(b)) {
      b.beforeNextSave = () -> other.update(AuditEntry.of("count"), INCREMENT); // the first attempt conflicts
      s.update(AuditEntry.of("count"), INCREMENT);
      s.update(AuditEntry.of("count"), INCREMENT);
      assertThat(count(s)).isEqualTo(3);
      SaveRequest first = b.requests.get(1);
      SaveRequest retried = b.requests.get(3);
      assertThat(retried.writeId()).isEqualTo(first.writeId());
      assertThat(b.requests.get(2).writeId()).isNotEqualTo(first.writeId()); // the other writer's
      assertThat(b.requests.get(4).writeId()).isNotEqualTo(first.writeId()); // the next write
    }
  }

  @Test
  void aBackendThatKeepsNoWriteIdsCannotCheckARetry() {
    InMemoryBackend b = InMemoryBackend.create();
    try (State s = counter(b)) {
      s.update(AuditEntry.of("count"), INCREMENT);
      assertThatThrownBy(() -> s.update(AuditEntry.of("count").withRetryOf("2:abc"), INCREMENT))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("keeps no write ids");
      assertThat(count(s)).isEqualTo(1);
    }
  }

  @Test
  void writeIdsAndRetryTokensAreChecked() {
    Snapshot empty = Snapshot.empty(new Metadata(Metadata.FORMAT_VERSION, 1, "l", java.time.Instant.EPOCH, java.time.Instant.EPOCH));
    assertThat(new SaveRequest(VersionToken.absent(), empty, List.of(), AuditEntry.DEFAULT).writeId()).isNotBlank();
    assertThatThrownBy(() -> new SaveRequest(VersionToken.absent(), empty, List.of(), AuditEntry.DEFAULT, "a b"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("write id");
    assertThatThrownBy(() -> new SaveRequest(VersionToken.absent(), empty, List.of(), AuditEntry.DEFAULT, "x\nInfrastate-Serial: 9"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SaveRequest(VersionToken.absent(), empty, List.of(), AuditEntry.DEFAULT, ""))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AuditEntry.of("x").withRetryOf("abc")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SERIAL:WRITEID");
    assertThatThrownBy(() -> AuditEntry.of("x").withRetryOf("7:")).isInstanceOf(IllegalArgumentException.class);
    AuditEntry a = AuditEntry.of("x").withRetryOf("7:w-1").withReason("why").withOperator("me");
    assertThat(a.retryOf()).isEqualTo("7:w-1");
    assertThat(new AuditEntry("a", "b", "c").retryOf()).isEmpty();
  }
}
