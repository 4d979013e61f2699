package io.infrastate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.model.VersionInfo;
import io.infrastate.spi.StoredState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the rows hold: deltas, checkpoints, history, retention, and damage in them. */
class PostgresBackendTest {
  static PostgresServer server;

  @BeforeAll
  static void start() {
    server = PostgresServer.get();
  }

  private static PostgresBackend.Builder builder(String schema) {
    return PostgresBackend.builder().host("127.0.0.1").port(server.port()).database(PostgresServer.DATABASE)
        .user(PostgresServer.USER).schema(schema).state("prod");
  }

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.1").build();
  }

  private static List<Long> serials(String schema, String table) throws Exception {
    List<Long> out = new ArrayList<>();
    try (Connection c = server.connect();
        PreparedStatement ps = c.prepareStatement("SELECT serial FROM " + schema + "." + table + " ORDER BY serial");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }

  @Test
  void aWriteStoresOnlyItsChangeAndTheNewestCheckpointsComeEveryKVersions() throws Exception {
    String schema = PostgresServer.freshSchema();
    try (PostgresBackend backend = builder(schema).checkpointInterval(10).build(); State state = State.load(backend)) {
      for (int i = 0; i < 100; i++) {
        state.addHost(host("web" + i));
      }
      state.removeHost("web7");
    }
    // the close waited for the checkpoints written after the commits; older interval checkpoints
    // were thinned out, the first (full) version's stays
    assertThat(serials(schema, "checkpoints")).containsExactly(1L, 90L, 100L);
    try (Connection c = server.connect();
        PreparedStatement ps = c.prepareStatement("SELECT kind, length(payload), removed_hosts::text FROM " + schema
            + ".versions WHERE serial = ?")) {
      ps.setLong(1, 100);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("delta");
        assertThat(rs.getInt(2)).as("a delta holds one host, not a hundred").isLessThan(600);
      }
      ps.setLong(1, 101);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertThat(rs.getString(3)).isEqualTo("{web7}");
      }
    }
    try (PostgresBackend backend = builder(schema).build()) {
      Snapshot latest = backend.load().orElseThrow().snapshot();
      assertThat(latest.metadata().serial()).isEqualTo(101);
      assertThat(latest.hosts()).hasSize(99).doesNotContainKey("web7");
      assertThat(backend.at(55).orElseThrow().snapshot().hosts()).hasSize(55);
      assertThat(backend.at(1).orElseThrow().snapshot().hosts()).containsOnlyKeys("web0");
      assertThat(backend.at(102)).isEmpty();
      List<VersionInfo> history = backend.history(3);
      assertThat(history).extracting(VersionInfo::serial).containsExactly(101L, 100L, 99L);
      assertThat(history.get(0).operation()).isEqualTo("remove host web7");
    }
  }

  @Test
  void aLargeStateIsCheckpointedLessOften() throws Exception {
    try (PostgresBackend backend = builder("unused").checkpointInterval(64).build()) {
      java.util.Map<String, HostState> hosts = new java.util.TreeMap<>();
      for (int i = 0; i < 100_000; i++) {
        hosts.put("h" + i, host("h" + i));
      }
      Snapshot large = Snapshot.of(new io.infrastate.model.Metadata(io.infrastate.model.Metadata.FORMAT_VERSION, 1, "l", null, null),
          hosts, java.util.Map.of());
      Snapshot small = Snapshot.empty(large.metadata());
      assertThat(backend.interval(small)).isEqualTo(64);
      assertThat(backend.interval(large)).isEqualTo(512); // 100000 / 128 = 781, rounded down to a power of two
    }
  }

  @Test
  void refreshReadsOnlyTheNewRowsAndAReloadMatchesIt() throws Exception {
    String schema = PostgresServer.freshSchema();
    try (PostgresBackend a = builder(schema).build(); State first = State.load(a);
        PostgresBackend b = builder(schema).build(); State second = State.load(b)) {
      first.addHost(host("web01"));
      second.refresh();
      assertThat(second.hasHost("web01")).isTrue();
      StoredState known = b.load().orElseThrow();
      assertThat(b.loadIfChanged(known.token())).isEmpty();
      first.addHost(host("web02"));
      first.removeHost("web01");
      StoredState changed = b.loadIfChanged(known.token()).orElseThrow();
      assertThat(changed.snapshot()).isEqualTo(a.load().orElseThrow().snapshot());
      assertThat(changed.snapshot().hosts()).containsOnlyKeys("web02");
    }
  }

  @Test
  void aConflictedWriterWhoseRetryFailsLetsTheOthersWriteAgain() throws Exception {
    String schema = PostgresServer.freshSchema();
    try (PostgresBackend a = builder(schema).build(); State first = State.load(a);
        PostgresBackend b = builder(schema).build(); State second = State.load(b)) {
      first.addHost(host("web01"));
      second.refresh();
      int[] runs = {0};
      assertThatThrownBy(() -> first.update(tx -> {
        if (runs[0]++ == 0) {
          second.addHost(host("web02")); // another writer wins this version: the first conflicts
          tx.addHost(host("web03"));
        } else {
          throw new IllegalStateException("the change no longer applies");
        }
      })).isInstanceOf(IllegalStateException.class);
      assertThat(runs[0]).isEqualTo(2);
      // the first writer held the head row for its retry; its turn ends and others write on
      second.addHost(host("web04"));
      first.addHost(host("web05"));
      assertThat(first.allHosts()).extracting(HostState::name).containsExactly("web01", "web02", "web04", "web05");
    }
  }

  @Test
  void retentionKeepsTheNewestVersionsLoadableAndDeletesOlderRows() throws Exception {
    String schema = PostgresServer.freshSchema();
    try (PostgresBackend backend = builder(schema).checkpointInterval(10).retainVersions(15).build();
        State state = State.load(backend)) {
      for (int i = 0; i < 60; i++) {
        state.addHost(host("web" + i));
      }
    }
    // after checkpoint 60: the newest checkpoint at or below 60 - 15 + 1 = 46 is 40
    assertThat(serials(schema, "checkpoints")).containsExactly(40L, 50L, 60L);
    assertThat(serials(schema, "versions")).first().isEqualTo(40L);
    try (PostgresBackend backend = builder(schema).build()) {
      assertThat(backend.load().orElseThrow().snapshot().hosts()).hasSize(60);
      assertThat(backend.at(46).orElseThrow().snapshot().hosts()).hasSize(46);
      assertThat(backend.at(39)).isEmpty();
    }
  }

  @Test
  void aGapInTheVersionsIsDamageAndNothingIsWrittenOverIt() throws Exception {
    String schema = PostgresServer.freshSchema();
    try (PostgresBackend backend = builder(schema).build(); State state = State.load(backend)) {
      for (int i = 0; i < 5; i++) {
        state.addHost(host("web" + i));
      }
    }
    try (Connection c = server.connect(); Statement st = c.createStatement()) {
      st.execute("DELETE FROM " + schema + ".versions WHERE serial = 3");
    }
    try (PostgresBackend backend = builder(schema).build()) {
      assertThatThrownBy(backend::load).isInstanceOf(CorruptStateException.class)
          .hasMessageContaining("missing serial 3");
    }
    assertThat(serials(schema, "versions")).containsExactly(1L, 2L, 4L, 5L);
  }
}
