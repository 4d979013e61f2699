package io.infrastate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.lock.Lock;
import io.infrastate.lock.LockRequest;
import io.infrastate.memory.InMemoryBackend;
import io.infrastate.memory.InMemoryLockProvider;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.model.InvalidStateException;
import io.infrastate.model.LockLostException;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateException;
import io.infrastate.model.VersionInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The public API of {@link State} on the in-memory backend: reads, write-through writes, batched
 * updates and the ones that return a value, history, refresh, close and toString. Another handle
 * on the same backend plays another process.
 */
class StateApiTest {
  final InMemoryBackend backend = InMemoryBackend.create();

  static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.1").port(22).group("web").build();
  }

  static ResourceState linode(String id) {
    return ResourceState.builder("linode", id).name("node" + id).tag("environment", "prod").build();
  }

  @Test
  void aNewStateWritesNothingUntilItsFirstWrite() {
    State state = State.load(backend);
    assertThat(state.metadata().serial()).isZero();
    assertThat(state.allHosts()).isEmpty();
    assertThat(backend.load()).isEmpty();
    state.save();
    assertThat(backend.load()).isPresent();
    assertThat(state.metadata().serial()).isEqualTo(1);
    assertThat(state.history(1).get(0).message()).contains("save");
  }

  @Test
  void writeThroughWritesPersistAtOnceAndReadsSeeThem() {
    State state = State.load(backend);
    HostState stored = state.addHost(host("web01"));
    assertThat(stored.createdAt()).isEqualTo(stored.updatedAt()).isNotEqualTo(HostState.UNSET_TIME);
    state.addResource("linode:1", linode("1"));
    assertThat(state.getHost("web01")).contains(stored);
    assertThat(state.hasHost("web01")).isTrue();
    assertThat(state.hasResource("linode:1")).isTrue();
    assertThat(state.getResourcesByType("linode")).hasSize(1);
    assertThat(state.getResourcesByTag("environment", "prod")).hasSize(1);
    assertThat(state.getHostsByGroup("web")).extracting(HostState::name).containsExactly("web01");
    assertThat(state.allResources()).containsOnlyKeys("linode:1");
    assertThat(state.summary()).isEqualTo(state.snapshot().summary());
    // as stored: another handle (another process) reads the same
    State other = State.load(backend);
    assertThat(other.getHost("web01")).contains(stored);
    assertThat(other.metadata().serial()).isEqualTo(2);
    // updating keeps createdAt; removing what is not there writes nothing
    HostState updated = state.addHost(host("web01").withAddress("10.0.0.2"));
    assertThat(updated.createdAt()).isEqualTo(stored.createdAt());
    assertThat(state.removeHost("nope")).isFalse();
    assertThat(state.removeResource("nope")).isFalse();
    assertThat(state.metadata().serial()).isEqualTo(3);
    assertThat(state.removeHost("web01")).isTrue();
    assertThat(state.removeResource("linode:1")).isTrue();
    assertThat(State.load(backend).allHosts()).isEmpty();
    assertThat(state.history()).extracting(VersionInfo::message).first().asString().contains("remove resource linode:1");
  }

  @Test
  void anUpdateIsOneVersionAndAFailingOrEmptyOneWritesNothing() {
    State state = State.load(backend);
    Snapshot written = state.update(AuditEntry.of("provision").withReason("OPS-1"), tx -> {
      tx.addHost(host("a"));
      tx.addHost(host("b"));
      tx.addResource("linode:1", linode("1"));
    });
    assertThat(written.metadata().serial()).isEqualTo(1);
    assertThat(written).isSameAs(state.snapshot());
    assertThat(state.history(1).get(0).message()).contains("provision").contains("OPS-1");
    assertThatThrownBy(() -> state.update(tx -> {
      tx.removeHost("a");
      throw new IllegalArgumentException("changed my mind");
    })).isInstanceOf(IllegalArgumentException.class).hasMessage("changed my mind");
    assertThat(state.update(tx -> tx.hasHost("a"))).isSameAs(written);
    assertThat(state.hasHost("a")).isTrue();
    assertThat(State.load(backend).metadata().serial()).isEqualTo(1);
  }

  @Test
  void anInvalidWriteIsRefusedWithTheRuleItBrokeAndWritesNothing() {
    State state = State.load(backend);
    assertThatThrownBy(() -> state.addHost(new HostState("bad", "", 70000, "", null, "", null, null)))
        .isInstanceOf(InvalidStateException.class)
        .hasMessageContaining("outside 0..65535");
    assertThat(backend.load()).isEmpty();
    assertThat(state.hasHost("bad")).isFalse();
  }

  @Test
  void computeReturnsWhatTheTransactionComputedInEachForm() {
    State state = State.load(backend);
    // implicit lambdas: update takes a Consumer, compute a Function, and neither is ambiguous
    Snapshot v1 = state.update(tx -> tx.addHost(host("web1")));
    HostState added = state.compute(tx -> tx.addHost(host("web2")));
    assertThat(v1.metadata().serial()).isEqualTo(1);
    assertThat(added.name()).isEqualTo("web2");
    assertThat(added.createdAt()).isEqualTo(state.getHost("web2").orElseThrow().createdAt());

    int count = state.compute(AuditEntry.of("count and tag"), tx -> {
      tx.addResource("linode:9", linode("9"));
      return tx.allHosts().size();
    });
    assertThat(count).isEqualTo(2);
    assertThat(state.history(1).get(0).message()).contains("count and tag");

    InMemoryLockProvider locks = InMemoryLockProvider.create();
    try (Lock lock = locks.acquire("deploy", LockRequest.of("deploy"), Duration.ofSeconds(5))) {
      String name = state.compute(lock, AuditEntry.of("deploy"), tx -> tx.addHost(host("web3")).name());
      assertThat(name).isEqualTo("web3");
      assertThat(state.metadata().fences()).containsEntry("deploy", lock.token());
    }
    // nothing changed: nothing written, and the value is still returned
    boolean has = state.compute(tx -> tx.hasHost("web3"));
    assertThat(has).isTrue();
    assertThat(state.metadata().serial()).isEqualTo(4);
  }

  @Test
  void computeThatThrowsWritesNothingAndPropagates() {
    State state = State.load(backend);
    assertThatThrownBy(() -> state.compute(tx -> {
      tx.addHost(host("a"));
      throw new IllegalStateException("no");
    })).isInstanceOf(IllegalStateException.class).hasMessage("no");
    assertThat(backend.load()).isEmpty();
  }

  @Test
  void computeUnderALockThatWasLostIsRefused() {
    State state = State.load(backend);
    InMemoryLockProvider locks = InMemoryLockProvider.create();
    Lock lock = locks.acquire("deploy", LockRequest.of("deploy"), Duration.ofSeconds(5));
    lock.close();
    assertThatThrownBy(() -> state.compute(lock, AuditEntry.of("late"), tx -> tx.addHost(host("late"))))
        .isInstanceOf(LockLostException.class);
    assertThat(state.hasHost("late")).isFalse();
  }

  @Test
  void refreshPicksUpWhatAnotherHandleWrote() {
    State mine = State.load(backend);
    State theirs = State.load(backend);
    theirs.addHost(host("web01"));
    assertThat(mine.hasHost("web01")).isFalse();
    assertThat(mine.refresh().hasHost("web01")).isTrue();
    assertThat(mine.hasHost("web01")).isTrue();
  }

  @Test
  void historyAtRollbackAndReplaceWriteNewVersions() {
    State state = State.load(backend);
    state.addHost(host("a"));
    state.addHost(host("b"));
    assertThat(state.at(1).orElseThrow().allHosts()).hasSize(1);
    Snapshot back = state.rollback(1, AuditEntry.DEFAULT);
    assertThat(back.metadata().serial()).isEqualTo(3);
    assertThat(back.allHosts()).extracting(HostState::name).containsExactly("a");
    assertThat(state.history(1).get(0).message()).contains("rollback to version 1");
    assertThatThrownBy(() -> state.rollback(99, AuditEntry.DEFAULT)).isInstanceOf(StateException.class).hasMessageContaining("99");
    Snapshot other = State.load(InMemoryBackend.create()).update(tx -> tx.addHost(host("z")));
    Snapshot replaced = state.replace(other, AuditEntry.DEFAULT);
    assertThat(replaced.allHosts()).extracting(HostState::name).containsExactly("z");
    assertThat(replaced.metadata().lineage()).isEqualTo(back.metadata().lineage());
  }

  @Test
  void aClosedHandleStillReadsButRefusesWrites() {
    State state = State.load(backend);
    state.addHost(host("a"));
    state.close();
    state.close(); // harmless
    assertThat(state.hasHost("a")).isTrue();
    assertThatThrownBy(() -> state.addHost(host("b"))).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(state::refresh).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void toStringNamesLocationSerialAndCountsButNoValue() {
    State state = State.load(backend);
    state.addHost(HostState.builder("web01").address("10.9.8.7").var("db_password", "hunter2").build());
    state.addResource("linode:1", linode("1").withData("token", "s3cr3t"));
    String s = state.toString();
    assertThat(s).isEqualTo("State[" + backend.location() + ", serial 2, 1 hosts, 1 resources]");
    assertThat(s).doesNotContain("10.9.8.7", "hunter2", "s3cr3t", "web01");
    state.close();
    assertThat(state.toString()).endsWith(", closed]");
  }

  // ------------------------------------------------------------ docs/api.md

  @Test
  void theApiPageShowsTheComputeExampleAsItRunsHere() throws Exception {
    State state = State.load(backend);
    state.addHost(host("web1"));
    assertThat(example(state)).isEqualTo("web2");
    assertThat(state.hasHost("web2")).isTrue();
    String page = Files.readString(Path.of("..", "docs", "api.md"));
    String source = Files.readString(Path.of("src/test/java/io/infrastate/StateApiTest.java"));
    String start = "// --8<-- [start:" + "compute]";
    String end = "// --8<-- [end:" + "compute]";
    String snippet = source.substring(source.indexOf(start) + start.length(), source.indexOf(end));
    for (String line : snippet.strip().split("\n")) {
      assertThat(page).as("docs/api.md must show the example as it is here").contains(line.strip());
    }
  }

  private static String example(State state) {
    // --8<-- [start:compute]
    String name = state.compute(AuditEntry.of("add the next web host"), tx -> {
      int n = 1;
      while (tx.hasHost("web" + n)) {
        n++;
      }
      tx.addHost(HostState.builder("web" + n).address("10.0.0." + n).build());
      return "web" + n;
    });
    // --8<-- [end:compute]
    return name;
  }

  @Test
  void readsOfTheSameHandleServeOneImmutableSnapshot() {
    State state = State.load(backend);
    state.addHost(host("a"));
    Snapshot before = state.snapshot();
    state.addHost(host("b"));
    assertThat(before.allHosts()).hasSize(1);
    assertThat(state.snapshot().allHosts()).hasSize(2);
    assertThat(state.diff(before).isEmpty()).isFalse();
    assertThat(List.of(state.allocatePort("svc:x", "port", 8000, 10))).allMatch(p -> p >= 8000 && p < 8010);
    assertThat(Map.copyOf(state.allResources())).isEmpty();
  }
}
