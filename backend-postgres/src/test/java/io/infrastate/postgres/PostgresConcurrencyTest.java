package io.infrastate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.testkit.Commits;
import io.infrastate.testkit.JvmProcess;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many processes writing one state through one real PostgreSQL server with the default options:
 * every update is stored exactly once, every writer finishes, the serials are contiguous, and no
 * serial is reported as committed by two writers.
 */
class PostgresConcurrencyTest {
  static final int PROCESSES = 8;
  static final int UPDATES = 50;

  static PostgresServer server;

  @BeforeAll
  static void start() {
    server = PostgresServer.get();
  }

  @Test
  void eightProcessesWithDefaultOptionsLoseNothingAndFailNothing(@TempDir Path tmp) throws Exception {
    String schema = PostgresServer.freshSchema();
    String uri = server.uri(schema, "prod");
    try (State seed = State.open(uri)) {
      seed.addResource("counter:c", ResourceState.builder("counter", "c").data("value", 0).build());
    }
    List<JvmProcess> children = new ArrayList<>();
    Commits commits = new Commits();
    try {
      for (int p = 0; p < PROCESSES; p++) {
        children.add(JvmProcess.start(PostgresWriterMain.class, tmp.resolve("child-" + p + ".log"), uri, "p" + p,
            String.valueOf(UPDATES)));
      }
      for (JvmProcess child : children) {
        assertThat(child.await(5, TimeUnit.MINUTES)).as(child.output()).isZero();
        assertThat(commits.addOutput(child.output())).as(child.output()).isEqualTo(UPDATES);
      }
    } finally {
      children.forEach(JvmProcess::close);
    }
    int total = PROCESSES * UPDATES;
    assertThat(commits.duplicates()).as("serials reported as committed by two writers").isEmpty();
    assertThat(commits.bySerial()).hasSize(total);
    try (State check = State.open(uri)) {
      assertThat(check.metadata().serial()).isEqualTo(total + 1L);
      assertThat(check.getResource("counter:c").orElseThrow().data().get("value")).isEqualTo(total);
      assertThat(check.getResourcesByType("update")).hasSize(total);
      assertThat(check.getResourcesByType("update").stream().map(r -> r.data().get("seen")).distinct().count())
          .as("each update saw a distinct counter value").isEqualTo(total);
      for (Map.Entry<Long, String> e : commits.bySerial().entrySet()) {
        assertThat(check.getResource("update:" + e.getValue())).as("update reported at serial " + e.getKey()).isPresent();
      }
    }
    List<Long> serials = new ArrayList<>();
    try (Connection c = server.connect();
        PreparedStatement ps = c.prepareStatement("SELECT serial FROM " + schema + ".versions WHERE state = 'prod' ORDER BY serial")) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          serials.add(rs.getLong(1));
        }
      }
    }
    List<Long> contiguous = new ArrayList<>();
    for (long s = 1; s <= total + 1; s++) {
      contiguous.add(s);
    }
    assertThat(serials).isEqualTo(contiguous);
  }
}
