package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.Processes;
import io.infrastate.examples.cli.CliRunner.Result;
import io.infrastate.s3.S3TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same verbs on a Git repository and on an S3-compatible server: only {@code --state} changes. */
class CliBackendsTest {
  @TempDir Path tmp;

  static Result ok(Result r) {
    assertThat(r.code()).as(r.toString()).isZero();
    return r;
  }

  static Result cli(String state, String... args) {
    List<String> all = new ArrayList<>(List.of("--state", state));
    all.addAll(List.of(args));
    return CliRunner.raw(Map.of(), all.toArray(String[]::new));
  }

  Processes.Result git(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=Erin", "-c", "user.email=erin@example.com"));
    cmd.addAll(List.of(args));
    Processes.Result r = Processes.run(dir, Map.of(), cmd);
    assertThat(r.code()).as(r.toString()).isZero();
    return r;
  }

  @Test
  void gitStateCommitsEachChangeWithItsOperatorAndKeepsLocksAsRefs() throws Exception {
    Path repo = tmp.resolve("infra.git");
    String state = "git+file://" + repo + "?create=true#main:state/state.json";
    ok(cli(state, "--operator", "alice <alice@example.com>", "--reason", "OPS-1", "host", "add", "web01", "--address", "10.0.0.5"));
    ok(cli(state, "resource", "add", "linode:42", "--name", "web01"));
    assertThat(ok(cli(state, "state", "list")).out()).contains("host.web01").contains("resource.linode:42");
    assertThat(ok(cli(state, "state", "history")).out()).contains("alice <alice@example.com>").contains("add host web01 (OPS-1)");

    List<String> log = git(tmp, "--git-dir=" + repo, "log", "--format=%an|%s", "--", "state/state.json").out().lines().toList();
    assertThat(log).hasSize(2);
    assertThat(log.get(1)).isEqualTo("alice|Add host web01 (OPS-1)");

    String id = ok(cli(state, "--operator", "ci", "lock", "acquire", "deploy")).out().strip();
    assertThat(git(tmp, "--git-dir=" + repo, "for-each-ref", "--format=%(refname)", "refs/infrastate/locks/").out())
        .isEqualTo("refs/infrastate/locks/deploy\n");
    assertThat(cli(state, "lock", "acquire", "deploy").code()).isEqualTo(InfrastateCli.LOCK_HELD);
    assertThat(ok(cli(state, "lock", "status", "deploy")).out()).startsWith("deploy: held by ci");
    String backupId = ok(cli(state, "--operator", "bob", "lock", "acquire", "backup", "--operation", "nightly")).out().strip();
    List<String> listed = ok(cli(state, "lock", "list")).out().lines().toList();
    assertThat(listed).hasSize(3);
    assertThat(listed.get(0)).isEqualTo("NAME    STATUS  OPERATOR  OPERATION  EXPIRES");
    assertThat(listed.get(1)).startsWith("backup  held    bob       nightly");
    assertThat(listed.get(2)).startsWith("deploy  held    ci");
    ok(cli(state, "lock", "release", "backup", "--id", backupId));
    ok(cli(state, "lock", "release", "deploy", "--id", id));
    assertThat(ok(cli(state, "lock", "status", "deploy")).out()).isEqualTo("deploy: free\n");
    assertThat(ok(cli(state, "lock", "list")).out()).as("released locks are not listed")
        .isEqualTo("NAME  STATUS  OPERATOR  OPERATION  EXPIRES\n");
    // the ref stays, at the released record that carries the fencing token on
    assertThat(git(tmp, "--git-dir=" + repo, "log", "-1", "--format=%s", "refs/infrastate/locks/deploy").out())
        .isEqualTo("Release lock deploy\n");

    // A person breaks the state file with the git CLI: every verb stops, nothing is committed over it.
    git(tmp, "clone", "-q", repo.toString(), "work");
    Path work = tmp.resolve("work");
    Files.writeString(work.resolve("state/state.json"), "{ not json");
    git(work, "commit", "-q", "-am", "hand edit");
    git(work, "push", "-q", "origin", "main");
    Result damaged = cli(state, "host", "add", "web02");
    assertThat(damaged.code()).as(damaged.toString()).isEqualTo(InfrastateCli.DAMAGED);
    assertThat(damaged.err().lines().count()).isEqualTo(1);
    assertThat(git(tmp, "--git-dir=" + repo, "log", "-1", "--format=%s").out()).isEqualTo("hand edit\n");
  }

  @Test
  void s3StateAndItsLocksWorkThroughAUri() throws Exception {
    String oldKey = System.getProperty("aws.accessKeyId");
    String oldSecret = System.getProperty("aws.secretAccessKey");
    try (S3TestServer server = S3TestServer.start()) {
      String bucket = server.newBucket();
      // The CLI takes credentials from the AWS SDK's default chain, never from the URI.
      System.setProperty("aws.accessKeyId", S3TestServer.ACCESS_KEY);
      System.setProperty("aws.secretAccessKey", S3TestServer.SECRET_KEY);
      String state = "s3://" + bucket + "/envs/prod/state.json?endpoint=" + server.endpoint() + "&region=us-east-1&pathStyle=true";

      ok(cli(state, "host", "add", "web01", "--address", "10.0.0.5", "--group", "web"));
      ok(cli(state, "host", "add", "web02", "--address", "10.0.0.6", "--group", "web"));
      assertThat(ok(cli(state, "--json", "host", "list")).json().size()).isEqualTo(2);
      assertThat(ok(cli(state, "state", "history")).out().lines().count()).isEqualTo(3);
      assertThat(ok(cli(state, "state", "pull")).out()).contains("\"serial\": 2");
      assertThat(ok(cli(state, "inventory", "--list")).json().get("web").get("hosts").size()).isEqualTo(2);

      String id = ok(cli(state, "lock", "acquire", "deploy")).out().strip();
      Result held = cli(state, "lock", "acquire", "deploy");
      assertThat(held.code()).isEqualTo(InfrastateCli.LOCK_HELD);
      assertThat(ok(cli(state, "--json", "lock", "status", "deploy")).json().get("lock").get("id").asString()).isEqualTo(id);
      ok(cli(state, "lock", "release", "deploy", "--id", id));
      assertThat(ok(cli(state, "lock", "status", "deploy")).out()).isEqualTo("deploy: free\n");

      Result badParam = cli("s3://infra/state.json?colour=blue", "state", "list");
      assertThat(badParam.code()).isEqualTo(InfrastateCli.USAGE);
      assertThat(badParam.err()).contains("Unknown parameter 'colour'");
    } finally {
      restore("aws.accessKeyId", oldKey);
      restore("aws.secretAccessKey", oldSecret);
    }
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }
}
