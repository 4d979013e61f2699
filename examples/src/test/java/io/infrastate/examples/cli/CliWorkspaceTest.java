package io.infrastate.examples.cli;

import static io.infrastate.examples.cli.CliRunner.ok0;
import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.Processes;
import io.infrastate.examples.cli.CliRunner.Result;
import io.infrastate.s3.S3Credentials;
import io.infrastate.s3.S3TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code workspace list|new|delete|show}, {@code --workspace} and {@code INFRASTATE_WORKSPACE}:
 * every command works on the selected workspace, locks included, on a file, a Git and an S3 state.
 */
class CliWorkspaceTest {
  @TempDir Path tmp;

  private Result cli(Map<String, String> env, String... args) {
    List<String> all = new ArrayList<>(List.of("--state", tmp.resolve("state.json").toString()));
    all.addAll(List.of(args));
    return CliRunner.raw(env, all.toArray(String[]::new));
  }

  private Result cli(String... args) {
    return cli(Map.of(), args);
  }

  private static void oneLineError(Result r, int code) {
    assertThat(r.code()).as(r.toString()).isEqualTo(code);
    assertThat(r.err().strip().lines()).as(r.toString()).hasSize(1);
    assertThat(r.err()).doesNotContain("Exception").doesNotContain("io.infrastate").doesNotContain("\tat ");
  }

  @Test
  void theVerbsListCreateShowAndDeleteWithJson() {
    ok0(cli("workspace", "new", "staging"));
    ok0(cli("workspace", "new", "prod-eu"));
    JsonNode list = ok0(cli("--json", "--workspace", "staging", "workspace", "list")).json();
    assertThat(list.get("selected").asString()).isEqualTo("staging");
    assertThat(list.get("workspaces").toString()).isEqualTo("[\"default\",\"prod-eu\",\"staging\"]");
    assertThat(ok0(cli("workspace", "list")).out()).isEqualTo("* default\n  prod-eu\n  staging\n");
    JsonNode show = ok0(cli("--json", "--workspace", "prod-eu", "workspace", "show")).json();
    assertThat(show.get("workspace").asString()).isEqualTo("prod-eu");
    assertThat(show.get("exists").asBoolean()).isTrue();
    assertThat(show.get("location").asString()).isEqualTo(tmp.resolve("state.json.d/prod-eu/state.json").toString());
    assertThat(ok0(cli("workspace", "show")).out()).isEqualTo("default\n");
    assertThat(ok0(cli("workspace", "delete", "prod-eu")).out()).startsWith("deleted workspace prod-eu at ");
    assertThat(ok0(cli("workspace", "list")).out()).isEqualTo("* default\n  staging\n");
  }

  @Test
  void theEnvironmentSelectsTheWorkspaceAndTheOptionWins() {
    ok0(cli("workspace", "new", "staging"));
    Map<String, String> env = Map.of(Root.WORKSPACE_ENV, "staging");
    ok0(cli(env, "host", "add", "web01", "--address", "10.0.2.11"));
    ok0(cli(env, "--workspace", "default", "host", "add", "db01", "--address", "10.0.1.9"));
    assertThat(ok0(cli(env, "--json", "host", "list")).out()).contains("web01").doesNotContain("db01");
    assertThat(ok0(cli("--json", "host", "list")).out()).contains("db01").doesNotContain("web01");
    assertThat(ok0(cli(env, "--json", "state", "list")).out()).contains("web01");
    assertThat(ok0(cli(env, "inventory", "--list")).out()).contains("10.0.2.11").doesNotContain("10.0.1.9");
  }

  @Test
  void locksOfAWorkspaceAreItsOwnAndFenceItsWrites() {
    ok0(cli("workspace", "new", "staging"));
    String id = ok0(cli("--workspace", "staging", "lock", "acquire", "deploy")).out().strip();
    ok0(cli("lock", "acquire", "deploy"));
    oneLineError(cli("--workspace", "staging", "lock", "acquire", "deploy"), InfrastateCli.LOCK_HELD);
    ok0(cli("--workspace", "staging", "--lock", "deploy=" + id, "host", "add", "web01"));
    assertThat(ok0(cli("--workspace", "staging", "lock", "status", "deploy")).out()).contains(id);
    ok0(cli("--workspace", "staging", "lock", "release", "deploy", "--id", id));
  }

  @Test
  void refusalsExitAsDocumentedWithOneLine() {
    oneLineError(cli("workspace", "new", "Staging"), InfrastateCli.USAGE);
    oneLineError(cli("--workspace", "../prod", "host", "list"), InfrastateCli.USAGE);
    oneLineError(cli("workspace", "delete", "default"), InfrastateCli.ERROR);
    oneLineError(cli("workspace", "delete", "nope"), InfrastateCli.ERROR);
    oneLineError(cli("--workspace", "nope", "host", "add", "web01"), InfrastateCli.ERROR);
    oneLineError(cli("--workspace", "nope", "lock", "acquire", "deploy"), InfrastateCli.ERROR);
    ok0(cli("workspace", "new", "staging"));
    oneLineError(cli("workspace", "new", "staging"), InfrastateCli.ERROR);
    ok0(cli("--workspace", "staging", "host", "add", "web01"));
    Result refused = cli("workspace", "delete", "staging");
    oneLineError(refused, InfrastateCli.ERROR);
    assertThat(refused.err()).contains("1 host(s)").contains("force");
    assertThat(tmp.resolve("state.json.d/nope")).doesNotExist();
    String json = cli("--json", "workspace", "new", "Bad").err();
    assertThat(json).startsWith("{\"error\":{\"code\":\"usage\",\"exit_code\":2,");
  }

  @Test
  void aDeletionIsRecordedInTheDefaultWorkspacesHistory() {
    ok0(cli("workspace", "new", "staging"));
    ok0(cli("--workspace", "staging", "host", "add", "web01"));
    ok0(cli("--operator", "alice@ops", "--reason", "staging retired", "workspace", "delete", "staging", "--force"));
    JsonNode history = ok0(cli("--json", "state", "history")).json();
    JsonNode latest = history.isArray() ? history.get(0) : history.get("versions").get(0);
    assertThat(latest.toString()).contains("delete workspace staging (serial 2,").contains("alice@ops")
        .contains("staging retired");
  }

  @Test
  void gitAndS3WorkspacesWorkThroughTheirUris() throws Exception {
    Path repo = tmp.resolve("infra.git");
    Processes.run(tmp, Map.of(), List.of("git", "init", "-q", "--bare", "-b", "main", repo.toString()));
    String git = "git+file://" + repo + "#main:state.json";
    ok0(CliRunner.at(git, "workspace", "new", "staging"));
    ok0(CliRunner.at(git, "--workspace", "staging", "host", "add", "web01"));
    ok0(CliRunner.at(git, "--workspace", "staging", "lock", "acquire", "deploy"));
    ok0(CliRunner.at(git, "lock", "acquire", "deploy"));
    assertThat(ok0(CliRunner.at(git, "workspace", "list")).out()).isEqualTo("* default\n  staging\n");

    try (S3TestServer server = S3TestServer.start(); S3Credentials credentials = S3Credentials.set()) {
      String s3 = server.stateUri(server.newBucket(), "envs/state.json");
      ok0(CliRunner.at(s3, "workspace", "new", "staging"));
      ok0(CliRunner.at(s3, "--workspace", "staging", "lock", "acquire", "deploy"));
      ok0(CliRunner.at(s3, "lock", "acquire", "deploy"));
      ok0(CliRunner.at(s3, "--workspace", "staging", "host", "add", "web01"));
      assertThat(ok0(CliRunner.at(s3, "workspace", "list")).out()).isEqualTo("* default\n  staging\n");
      ok0(CliRunner.at(s3, "workspace", "delete", "staging", "--force"));
      assertThat(ok0(CliRunner.at(s3, "workspace", "list")).out()).isEqualTo("* default\n");
    }
  }
}
