package io.infrastate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.AuditEntry;
import io.infrastate.Infrastate;
import io.infrastate.State;
import io.infrastate.StateStore;
import io.infrastate.testkit.WorkspaceContract;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Workspaces of a PostgreSQL schema (states named in it), against a real server. */
class PostgresWorkspaceTest extends WorkspaceContract {
  static PostgresServer server;
  String schema;

  @BeforeAll
  static void start() {
    server = PostgresServer.get();
  }

  @Override
  protected String newHome() {
    schema = PostgresServer.freshSchema();
    return server.uri(schema, "infra");
  }

  @Test
  void aWorkspaceIsAStateOfTheSchemaAndTheUrisStateIsTheDefault() throws Exception {
    try (State def = store.open()) {
      def.save(AuditEntry.of("first"));
    }
    store.createWorkspace("staging", AuditEntry.of(""));
    try (State s = State.open(server.uri(schema, "staging"))) {
      assertThat(s.metadata().serial()).as("the workspace is the state of that name").isEqualTo(1);
    }
    try (StateStore other = Infrastate.at(server.uri(schema, "staging"))) {
      assertThat(other.workspaces()).as("every state of the schema is a workspace").containsExactly("default", "infra");
    }
    store.deleteWorkspace("staging", false, AuditEntry.of(""));
    try (Connection c = server.connect(); Statement st = c.createStatement()) {
      for (String table : new String[] {"states", "versions", "checkpoints", "locks"}) {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + schema + "." + table + " WHERE state = 'staging'")) {
          rs.next();
          assertThat(rs.getLong(1)).as(table).isZero();
        }
      }
    }
  }
}
