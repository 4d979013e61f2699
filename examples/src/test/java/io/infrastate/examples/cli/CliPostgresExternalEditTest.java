package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.cli.CliRunner.Result;
import io.infrastate.postgres.PostgresServer;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * A row of a PostgreSQL state changed with SQL, then the CLI on a {@code postgresql://} URI with
 * {@code external=refuse}: writes exit 3 naming the difference until {@code state accept-external}
 * records the edit as a version of its own.
 */
class CliPostgresExternalEditTest {
  @Test
  void anSqlEditIsRefusedUntilAcceptedThroughTheCli() throws Exception {
    PostgresServer server = PostgresServer.get();
    String schema = PostgresServer.freshSchema();
    String uri = server.uri(schema, "prod") + "&external=refuse";
    CliRunner.ok0(CliRunner.at(uri, "--operator", "alice@ops", "host", "add", "web01", "--address", "10.0.0.1"));
    CliRunner.ok0(CliRunner.at(uri, "--operator", "alice@ops", "host", "add", "web02", "--address", "10.0.0.2"));
    try (Connection c = server.connect(); Statement st = c.createStatement()) {
      st.execute("UPDATE " + schema + ".states SET serial = 1 WHERE state = 'prod'"); // a rollback by hand
    }

    Result refused = CliRunner.at(uri, "host", "add", "web03", "--address", "10.0.0.3");
    assertThat(refused.code()).as(refused.toString()).isEqualTo(InfrastateCli.CONFLICT);
    assertThat(refused.err()).contains("- host web02").contains("accept-external").doesNotContain("\tat ");
    assertThat(refused.err().strip().lines()).hasSize(1);

    Result dry = CliRunner.ok0(CliRunner.at(uri, "state", "accept-external", "--dry-run"));
    assertThat(dry.out()).contains("after version 2").contains("head row");
    Result accepted = CliRunner.ok0(CliRunner.at(uri, "--operator", "bob@ops", "--reason", "reviewed",
        "state", "accept-external"));
    assertThat(accepted.out()).contains("as version 3").contains("accepted by bob@ops (reviewed)");
    Result again = CliRunner.ok0(CliRunner.at(uri, "--json", "state", "accept-external"));
    assertThat(again.json().get("external_edit").asBoolean()).isFalse();

    CliRunner.ok0(CliRunner.at(uri, "host", "add", "web03", "--address", "10.0.0.3"));
    Result history = CliRunner.ok0(CliRunner.at(uri, "--json", "state", "history"));
    assertThat(history.json().findValuesAsString("operator")).element(1).isEqualTo("external");
    Result diff = CliRunner.ok0(CliRunner.at(uri, "state", "diff", "2", "3"));
    assertThat(diff.out()).contains("web02").doesNotContain("web03");
  }
}
