package io.infrastate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditException;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.model.StateDiff;
import io.infrastate.model.UnknownBackendException;
import io.infrastate.model.VersionInfo;
import io.infrastate.testkit.JvmProcess;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows changed by SQL outside infrastate, with real {@code UPDATE} and {@code INSERT} statements on
 * the real server: an inserted version, a version changed in place, the head moved back, each
 * loaded as an external edit and recorded as a version of its own with its difference
 * (external=record, the default), or refused until accepted (external=refuse); damage stops
 * everything; concurrent writers (threads and other processes) lose nothing while the edit is
 * recorded; tables of schema version
 * 1 are upgraded under concurrent use.
 */
class PostgresExternalEditTest {
  static PostgresServer server;

  @BeforeAll
  static void start() {
    server = PostgresServer.get();
  }

  private static HostState host(String name, String address) {
    return HostState.builder(name).address(address).build();
  }

  private static PostgresBackend.Builder builder(String schema) {
    return PostgresBackend.builder().host("127.0.0.1").port(server.port()).database(PostgresServer.DATABASE)
        .user(PostgresServer.USER).schema(schema).state("prod");
  }

  private static void sql(String... statements) throws SQLException {
    try (Connection c = server.connect(); Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    }
  }

  private static String query(String sql) throws SQLException {
    try (Connection c = server.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** Two versions written by infrastate: web01 (10.0.0.1), then web02 (10.0.0.2). */
  private static String seeded() {
    String schema = PostgresServer.freshSchema();
    try (State state = State.open(server.uri(schema, "prod"))) {
      state.addHost(host("web01", "10.0.0.1"));
      state.addHost(host("web02", "10.0.0.2"));
    }
    return schema;
  }

  /** What a person writing a version by hand does: a delta row after the head, then the head. */
  private static void insertVersionByHand(String schema) throws SQLException {
    sql("INSERT INTO " + schema + ".versions (state, serial, lineage, kind, written_at, operator, operation, reason,"
        + " write_id, removed_hosts, removed_resources, payload) SELECT state, 3, lineage, 'delta', now(), 'dba',"
        + " 'fix address', '', 'by hand', '{}', '{}', convert_to(jsonb_set(jsonb_set(convert_from(payload, 'UTF8')::jsonb,"
        + " '{metadata,serial}', '3'), '{hosts,web02,address}', '\"10.9.9.9\"')::text, 'UTF8') FROM " + schema
        + ".versions WHERE state = 'prod' AND serial = 2",
        "UPDATE " + schema + ".states SET serial = 3 WHERE state = 'prod'");
  }

  private static void updateLatestRowInPlace(String schema) throws SQLException {
    sql("UPDATE " + schema + ".versions SET payload = convert_to(replace(convert_from(payload, 'UTF8'), '10.0.0.2',"
        + " '10.9.9.9'), 'UTF8') WHERE state = 'prod' AND serial = 2");
  }

  private static List<String> operators(List<VersionInfo> history) {
    return history.stream().map(VersionInfo::operator).toList();
  }

  @Test
  void aVersionInsertedByHandIsRecordedAsItsOwnVersionWithItsDifference() throws Exception {
    String schema = seeded();
    insertVersionByHand(schema);
    String uri = server.uri(schema, "prod");
    try (State state = State.open(uri)) {
      // reads see the edited content as the next version, and write nothing
      assertThat(state.metadata().serial()).isEqualTo(3);
      assertThat(state.getHost("web02").orElseThrow().address()).isEqualTo("10.9.9.9");
      ExternalEdit edit = state.pendingExternalEdit().orElseThrow();
      assertThat(edit.replacedSerial()).isEqualTo(2);
      StateDiff diff = edit.diff().orElseThrow();
      assertThat(diff.entries()).hasSize(1);
      assertThat(diff.entries().get(0).key()).isEqualTo("web02");
      assertThat(edit.notes()).anyMatch(n -> n.contains("head row (table states) was changed"))
          .anyMatch(n -> n.contains("version row 3 (table versions) was not written by infrastate"));
      assertThat(edit.description()).contains("~ host web02: address").doesNotContain("10.9.9.9");
      assertThat(state.history()).extracting(VersionInfo::serial).containsExactly(3L, 2L, 1L);
      assertThat(state.history().get(0).operator()).isEqualTo("dba");

      state.addHost(host("web03", "10.0.0.3"));
      assertThat(state.metadata().serial()).isEqualTo(4);
      assertThat(state.pendingExternalEdit()).isEmpty();
      List<VersionInfo> history = state.history();
      assertThat(history).extracting(VersionInfo::serial).containsExactly(4L, 3L, 2L, 1L);
      VersionInfo recorded = history.get(1);
      assertThat(recorded.operator()).isEqualTo(ExternalEdit.OPERATOR);
      assertThat(recorded.operation()).isEqualTo(ExternalEdit.OPERATION);
      assertThat(recorded.reason()).contains("after version 2").contains("~ host web02: address");
      assertThat(history.get(0).operation()).isEqualTo("add host web03");
      assertThat(state.at(2).orElseThrow().hosts().get("web02").address()).isEqualTo("10.0.0.2");
      assertThat(state.at(3).orElseThrow().hosts().get("web02").address()).isEqualTo("10.9.9.9");
      assertThat(state.at(3).orElseThrow().hosts()).doesNotContainKey("web03");
      assertThat(StateDiff.between(state.at(2).orElseThrow(), state.at(3).orElseThrow()).entries()).hasSize(1);
    }
    // every row is infrastate's again: another process loads no edit
    try (PostgresBackend backend = builder(schema).build()) {
      assertThat(backend.externalEdit()).isEmpty();
      assertThat(backend.load().orElseThrow().snapshot().hosts()).containsOnlyKeys("web01", "web02", "web03");
    }
    assertThat(query("SELECT count(*) FROM " + schema + ".versions WHERE content_hash IS NULL")).isEqualTo("0");
  }

  @Test
  void aRowChangedInPlaceIsRecordedAndTheVersionItReplacedIsRestored() throws Exception {
    String schema = PostgresServer.freshSchema();
    try (PostgresBackend writer = builder(schema).build(); State state = State.load(writer)) {
      state.addHost(host("web01", "10.0.0.1"));
      state.addHost(host("web02", "10.0.0.2"));
      updateLatestRowInPlace(schema);

      // another process does not know version 2 as it was written: the difference is unknown
      try (PostgresBackend other = builder(schema).build()) {
        ExternalEdit edit = other.externalEdit().orElseThrow();
        assertThat(edit.replacedSerial()).isEqualTo(2);
        assertThat(edit.diff()).isEmpty();
        assertThat(edit.notes()).anyMatch(n -> n.contains("version row 2 (table versions) was changed"))
            .anyMatch(n -> n.contains("no longer known"));
      }
      // the writer read it: its handle's next load knows it, and the difference is exact
      try (State again = State.load(writer)) {
        ExternalEdit edit = again.pendingExternalEdit().orElseThrow();
        assertThat(edit.diff().orElseThrow().entries()).hasSize(1);
        assertThat(again.getHost("web02").orElseThrow().address()).isEqualTo("10.9.9.9");
        again.addHost(host("web03", "10.0.0.3"));
        assertThat(operators(again.history())).containsExactly(
            operators(again.history()).get(0), ExternalEdit.OPERATOR, operators(again.history()).get(2),
            operators(again.history()).get(3));
        // history shows version 2 as infrastate wrote it, then the edit
        assertThat(again.at(2).orElseThrow().hosts().get("web02").address()).isEqualTo("10.0.0.2");
        assertThat(again.at(3).orElseThrow().hosts().get("web02").address()).isEqualTo("10.9.9.9");
        assertThat(again.at(4).orElseThrow().hosts()).containsOnlyKeys("web01", "web02", "web03");
      }
    }
    try (PostgresBackend other = builder(schema).build()) {
      assertThat(other.externalEdit()).isEmpty();
    }
  }

  @Test
  void theHeadMovedBackIsARollbackRecordedAfterTheVersionItReplaced() throws Exception {
    String schema = seeded();
    sql("UPDATE " + schema + ".states SET serial = 1 WHERE state = 'prod'");
    try (State state = State.open(server.uri(schema, "prod"))) {
      assertThat(state.metadata().serial()).isEqualTo(3);
      assertThat(state.allHosts()).extracting(HostState::name).containsExactly("web01");
      ExternalEdit edit = state.pendingExternalEdit().orElseThrow();
      assertThat(edit.replacedSerial()).isEqualTo(2);
      assertThat(edit.description()).contains("- host web02");
      state.addHost(host("web03", "10.0.0.3"));
      assertThat(state.history()).extracting(VersionInfo::serial).containsExactly(4L, 3L, 2L, 1L);
      assertThat(state.history().get(1).operator()).isEqualTo(ExternalEdit.OPERATOR);
      assertThat(state.at(2).orElseThrow().hosts()).containsOnlyKeys("web01", "web02");
      assertThat(state.at(3).orElseThrow().hosts()).containsOnlyKeys("web01");
      assertThat(state.allHosts()).extracting(HostState::name).containsExactly("web01", "web03");
    }
  }

  @Test
  void aChangedCheckpointIsFoundByTheNextLoadAndRecorded() throws Exception {
    String schema = seeded();
    // version 1 is a full version: its content is checkpoint 1, under the delta of version 2
    sql("UPDATE " + schema + ".checkpoints SET content = convert_to(replace(convert_from(content, 'UTF8'), '10.0.0.1',"
        + " '10.7.7.7'), 'UTF8') WHERE state = 'prod' AND serial = 1");
    try (State state = State.open(server.uri(schema, "prod"))) {
      assertThat(state.getHost("web01").orElseThrow().address()).isEqualTo("10.7.7.7");
      ExternalEdit edit = state.pendingExternalEdit().orElseThrow();
      assertThat(edit.replacedSerial()).isEqualTo(2);
      assertThat(edit.notes()).anyMatch(n -> n.contains("checkpoint 1 (table checkpoints) was changed"));
      state.addHost(host("web03", "10.0.0.3"));
      assertThat(state.history().get(1).operator()).isEqualTo(ExternalEdit.OPERATOR);
      assertThat(state.history().get(1).reason()).contains("checkpoint 1");
    }
    try (PostgresBackend backend = builder(schema).build()) {
      assertThat(backend.externalEdit()).isEmpty();
      assertThat(backend.load().orElseThrow().snapshot().hosts().get("web01").address()).isEqualTo("10.7.7.7");
    }
  }

  @Test
  void thePolicyIsNamedOnTheUri() {
    String uri = server.uri(PostgresServer.freshSchema(), "prod");
    assertThatThrownBy(() -> State.open(uri + "&external=sometimes")).isInstanceOf(UnknownBackendException.class)
        .hasMessageContaining("external must be record or refuse");
    try (PostgresBackend refusing = (PostgresBackend) io.infrastate.spi.BackendRegistry.defaultRegistry()
        .open(uri + "&external=refuse")) {
      assertThat(refusing.externalEditPolicy()).isEqualTo(ExternalEditPolicy.REFUSE);
    }
    try (PostgresBackend recording = builder(PostgresServer.freshSchema()).build()) {
      assertThat(recording.externalEditPolicy()).isEqualTo(ExternalEditPolicy.RECORD);
    }
  }

  @Test
  void refusedUntilAcceptedAndNothingIsWrittenMeanwhile() throws Exception {
    String schema = PostgresServer.freshSchema();
    String uri = server.uri(schema, "prod") + "&external=refuse";
    try (State before = State.open(uri)) {
      before.addHost(host("web01", "10.0.0.1"));
      before.addHost(host("web02", "10.0.0.2"));
      insertVersionByHand(schema);
      String rows = query("SELECT string_agg(serial || ':' || operator || ':' || encode(sha256(coalesce(payload, ''::bytea)),"
          + " 'hex'), ',' ORDER BY serial) FROM " + schema + ".versions");

      // a handle loaded before the edit: its compare-and-swap fails on the changed head, then it is refused
      assertThatThrownBy(() -> before.addHost(host("web03", "10.0.0.3")))
          .isInstanceOf(ExternalEditException.class)
          .hasMessageContaining("~ host web02: address")
          .hasMessageContaining("accept-external")
          .hasMessageContaining("infrastate state rollback 2")
          .satisfies(e -> assertThat(((ExternalEditException) e).edit().orElseThrow().replacedSerial()).isEqualTo(2));
      try (State after = State.open(uri)) {
        assertThatThrownBy(() -> after.addHost(host("web03", "10.0.0.3"))).isInstanceOf(ExternalEditException.class);
      }
      assertThat(query("SELECT string_agg(serial || ':' || operator || ':' || encode(sha256(coalesce(payload, ''::bytea)),"
          + " 'hex'), ',' ORDER BY serial) FROM " + schema + ".versions")).isEqualTo(rows);

      try (PostgresBackend backend = builder(schema).externalEdits(io.infrastate.model.ExternalEditPolicy.REFUSE).build()) {
        VersionInfo v = backend.acceptExternalEdit(new AuditEntry("alice@ops", "accept external edit", "reviewed"))
            .orElseThrow();
        assertThat(v.serial()).isEqualTo(3);
        assertThat(v.operator()).isEqualTo(ExternalEdit.OPERATOR);
        assertThat(v.reason()).startsWith("accepted by alice@ops (reviewed): ").contains("~ host web02: address");
        assertThat(backend.acceptExternalEdit(AuditEntry.DEFAULT)).isEmpty();
      }
      before.addHost(host("web03", "10.0.0.3"));
      assertThat(before.metadata().serial()).isEqualTo(4);
      assertThat(before.getHost("web02").orElseThrow().address()).isEqualTo("10.9.9.9");
    }
  }

  @Test
  void anEditThatMakesTheRowsUnreadableIsDamageNotAnEdit() throws Exception {
    String schema = PostgresServer.freshSchema();
    try (State state = State.open(server.uri(schema, "prod"))) {
      state.addHost(host("web01", "10.0.0.1"));
      state.addHost(host("web02", "10.0.0.2"));
      sql("UPDATE " + schema + ".versions SET payload = convert_to('{not json', 'UTF8') WHERE state = 'prod' AND serial = 2",
          "UPDATE " + schema + ".states SET serial = 2 WHERE state = 'prod'");
      assertThatThrownBy(() -> State.open(server.uri(schema, "prod"))).isInstanceOf(CorruptStateException.class)
          .hasMessageContaining("version 2");
      assertThatThrownBy(() -> state.addHost(host("web03", "10.0.0.3"))).isInstanceOf(CorruptStateException.class);
      try (PostgresBackend backend = builder(schema).build()) {
        assertThatThrownBy(backend::externalEdit).isInstanceOf(CorruptStateException.class);
        assertThatThrownBy(() -> backend.acceptExternalEdit(AuditEntry.DEFAULT)).isInstanceOf(CorruptStateException.class);
      }
      assertThat(query("SELECT convert_from(payload, 'UTF8') FROM " + schema + ".versions WHERE serial = 2"))
          .isEqualTo("{not json");
      assertThat(query("SELECT count(*) FROM " + schema + ".versions")).isEqualTo("2");
    }
  }

  @Test
  void concurrentWritersLoseNothingWhileTheEditIsRecorded(@TempDir Path tmp) throws Exception {
    String schema = PostgresServer.freshSchema();
    String uri = server.uri(schema, "prod");
    try (State seed = State.open(uri)) {
      seed.addHost(host("web01", "10.0.0.1"));
      seed.update(tx -> {
        tx.addHost(host("web02", "10.0.0.2"));
        tx.addResource("counter:c", ResourceState.builder("counter", "c").data("value", 0).build());
      });
    }
    int writers = 4;
    int each = 5;
    int processes = 2;
    int updates = 10;
    List<State> states = new ArrayList<>();
    List<PostgresBackend> backends = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      PostgresBackend b = builder(schema).build();
      backends.add(b);
      states.add(State.load(b)); // loaded before the edit, as a long-running writer would be
    }
    insertVersionByHand(schema);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<JvmProcess> children = new ArrayList<>();
    try {
      // other processes, read-modify-writing a counter: they load the edit and race to record it
      for (int p = 0; p < processes; p++) {
        children.add(JvmProcess.start(PostgresWriterMain.class, tmp.resolve("child-" + p + ".log"), uri, "p" + p,
            String.valueOf(updates)));
      }
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        State s = states.get(w);
        int writer = w;
        done.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < each; i++) {
            s.addHost(host("w" + writer + "-" + i, "10.1." + writer + "." + i));
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(5, TimeUnit.MINUTES);
      }
      for (JvmProcess child : children) {
        assertThat(child.await(5, TimeUnit.MINUTES)).as(child.output()).isZero();
        assertThat(child.output()).contains("DONE");
      }
    } finally {
      children.forEach(JvmProcess::close);
      pool.shutdownNow();
      for (State s : states) {
        s.close();
      }
      backends.forEach(PostgresBackend::close);
    }
    try (State check = State.open(server.uri(schema, "prod"))) {
      assertThat(check.allHosts()).hasSize(2 + writers * each);
      assertThat(check.getHost("web02").orElseThrow().address()).isEqualTo("10.9.9.9");
      assertThat(check.getResource("counter:c").orElseThrow().data().get("value")).isEqualTo(processes * updates);
      assertThat(check.getResourcesByType("update")).hasSize(processes * updates);
      List<VersionInfo> history = check.history();
      assertThat(history).hasSize(2 + 1 + writers * each + processes * updates);
      for (int i = 0; i < history.size(); i++) {
        assertThat(history.get(i).serial()).isEqualTo(history.size() - i);
      }
      assertThat(operators(history)).filteredOn(ExternalEdit.OPERATOR::equals).hasSize(1);
      assertThat(history.get(history.size() - 3).operator()).isEqualTo(ExternalEdit.OPERATOR);
      assertThat(check.pendingExternalEdit()).isEmpty();
    }
  }

  @Test
  void tablesOfSchemaVersionOneAreUpgradedUnderConcurrentUse() throws Exception {
    String schema = seeded();
    // the tables as schema version 1 made them: no content_hash columns
    sql("ALTER TABLE " + schema + ".states DROP COLUMN content_hash",
        "ALTER TABLE " + schema + ".versions DROP COLUMN content_hash",
        "ALTER TABLE " + schema + ".checkpoints DROP COLUMN content_hash",
        "UPDATE " + schema + ".schema_version SET version = 1");
    int users = 4;
    ExecutorService pool = Executors.newFixedThreadPool(users);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> done = new ArrayList<>();
      for (int u = 0; u < users; u++) {
        int user = u;
        done.add(pool.submit(() -> {
          go.await();
          try (PostgresBackend b = builder(schema).build(); State s = State.load(b)) {
            if (user % 2 == 0) {
              s.addHost(host("u" + user, "10.2.0." + user));
            }
            assertThat(b.externalEdit()).isEmpty();
            return s.allHosts().size();
          }
        }));
      }
      go.countDown();
      for (Future<Integer> f : done) {
        assertThat(f.get(5, TimeUnit.MINUTES)).isGreaterThanOrEqualTo(2);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(query("SELECT max(version) FROM " + schema + ".schema_version")).isEqualTo("2");
    assertThat(query("SELECT count(*) FROM " + schema + ".versions WHERE content_hash IS NULL")).isEqualTo("0");
    try (State check = State.open(server.uri(schema, "prod"))) {
      assertThat(check.allHosts()).extracting(HostState::name).containsExactly("u0", "u2", "web01", "web02");
      assertThat(check.history()).hasSize(4);
      assertThat(check.pendingExternalEdit()).isEmpty();
    }
    // a backend that may not upgrade tables says so, and changes nothing
    String old = seeded();
    sql("ALTER TABLE " + old + ".states DROP COLUMN content_hash",
        "ALTER TABLE " + old + ".versions DROP COLUMN content_hash",
        "ALTER TABLE " + old + ".checkpoints DROP COLUMN content_hash",
        "UPDATE " + old + ".schema_version SET version = 1");
    try (PostgresBackend b = builder(old).createSchema(false).build()) {
      assertThatThrownBy(b::load).isInstanceOf(PostgresException.class)
          .hasMessageContaining("schema version 1").hasMessageContaining("createSchema=true")
          .satisfies(e -> assertThat(((PostgresException) e).problem()).isEqualTo(PostgresException.Problem.SCHEMA_MISSING));
    }
    assertThat(query("SELECT max(version) FROM " + old + ".schema_version")).isEqualTo("1");
    // and a row changed after the upgrade is found
    sql("UPDATE " + schema + ".states SET serial = 3 WHERE state = 'prod'");
    try (PostgresBackend b = builder(schema).build()) {
      assertThat(b.externalEdit()).isPresent();
    }
  }
}
