package io.infrastate.examples.cli;

import static io.infrastate.examples.cli.CliRunner.at;
import static io.infrastate.examples.cli.CliRunner.ok0;
import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.cli.CliRunner.Result;
import io.infrastate.postgres.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI on a real PostgreSQL server: only {@code --state} changes, locks are rows of the schema. */
class CliPostgresTest {
  @Test
  void postgresStateAndItsLocksWorkThroughAUri() throws Exception {
    PostgresServer server = PostgresServer.get();
    String schema = PostgresServer.freshSchema();
    String state = server.uri(schema, "prod");

    ok0(at(state, "--reason", "OPS-7", "host", "add", "web01", "--address", "10.0.0.5", "--group", "web"));
    ok0(at(state, "host", "add", "web02", "--address", "10.0.0.6", "--group", "web"));
    assertThat(ok0(at(state, "--json", "host", "list")).json().size()).isEqualTo(2);
    assertThat(ok0(at(state, "state", "history")).out()).contains("add host web01 (OPS-7)");
    assertThat(ok0(at(state, "inventory", "--list")).json().get("web").get("hosts").size()).isEqualTo(2);

    String id = ok0(at(state, "lock", "acquire", "deploy")).out().strip();
    assertThat(at(state, "lock", "acquire", "deploy").code()).isEqualTo(InfrastateCli.LOCK_HELD);
    try (Connection c = server.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT name FROM " + schema + ".locks WHERE state = 'prod'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("deploy");
    }
    ok0(at(state, "lock", "release", "deploy", "--id", id));
    assertThat(ok0(at(state, "lock", "status", "deploy")).out()).isEqualTo("deploy: free\n");

    // the JDBC form names the same state
    String jdbc = "jdbc:postgresql://127.0.0.1:" + server.port() + "/" + PostgresServer.DATABASE + "?schema=" + schema
        + "&state=prod&user=" + PostgresServer.USER;
    assertThat(ok0(at(jdbc, "--json", "host", "list")).json().size()).isEqualTo(2);

    // a server that is not there: one line on stderr saying what to check, no stack trace
    Result refused = at("postgresql://infra@127.0.0.1:1/infra?state=prod", "host", "list");
    assertThat(refused.code()).as(refused.toString()).isEqualTo(InfrastateCli.ERROR);
    assertThat(refused.err().lines().count()).as(refused.err()).isEqualTo(1);
    assertThat(refused.err()).contains("127.0.0.1:1").contains("Check that the server is running");

    Result badParam = at(state + "&colour=blue", "state", "list");
    assertThat(badParam.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(badParam.err()).contains("unknown parameter 'colour'");
  }
}
