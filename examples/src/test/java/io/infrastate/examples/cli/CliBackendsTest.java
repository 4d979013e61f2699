package io.infrastate.examples.cli;

import static io.infrastate.examples.cli.CliRunner.at;
import static io.infrastate.examples.cli.CliRunner.ok0;
import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.Processes;
import io.infrastate.examples.cli.CliRunner.Result;
import io.infrastate.s3.S3Credentials;
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
    ok0(at(state, "--operator", "alice <alice@example.com>", "--reason", "OPS-1", "host", "add", "web01", "--address", "10.0.0.5"));
    ok0(at(state, "resource", "add", "linode:42", "--name", "web01"));
    assertThat(ok0(at(state, "state", "list")).out()).contains("host.web01").contains("resource.linode:42");
    assertThat(ok0(at(state, "state", "history")).out()).contains("alice <alice@example.com>").contains("add host web01 (OPS-1)");

    List<String> log = git(tmp, "--git-dir=" + repo, "log", "--format=%an|%s", "--", "state/state.json").out().lines().toList();
    assertThat(log).hasSize(2);
    assertThat(log.get(1)).isEqualTo("alice|Add host web01 (OPS-1)");

    String id = ok0(at(state, "--operator", "ci", "lock", "acquire", "deploy")).out().strip();
    assertThat(git(tmp, "--git-dir=" + repo, "for-each-ref", "--format=%(refname)", "refs/infrastate/locks/").out())
        .isEqualTo("refs/infrastate/locks/deploy\n");
    assertThat(at(state, "lock", "acquire", "deploy").code()).isEqualTo(InfrastateCli.LOCK_HELD);
    assertThat(ok0(at(state, "lock", "status", "deploy")).out()).startsWith("deploy: held by ci");
    String backupId = ok0(at(state, "--operator", "bob", "lock", "acquire", "backup", "--operation", "nightly")).out().strip();
    List<String> listed = ok0(at(state, "lock", "list")).out().lines().toList();
    assertThat(listed).hasSize(3);
    assertThat(listed.get(0)).isEqualTo("NAME    STATUS  OPERATOR  OPERATION  EXPIRES");
    assertThat(listed.get(1)).startsWith("backup  held    bob       nightly");
    assertThat(listed.get(2)).startsWith("deploy  held    ci");
    ok0(at(state, "lock", "release", "backup", "--id", backupId));
    ok0(at(state, "lock", "release", "deploy", "--id", id));
    assertThat(ok0(at(state, "lock", "status", "deploy")).out()).isEqualTo("deploy: free\n");
    assertThat(ok0(at(state, "lock", "list")).out()).as("released locks are not listed")
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
    Result damaged = at(state, "host", "add", "web02");
    assertThat(damaged.code()).as(damaged.toString()).isEqualTo(InfrastateCli.DAMAGED);
    assertThat(damaged.err().lines().count()).isEqualTo(1);
    assertThat(git(tmp, "--git-dir=" + repo, "log", "-1", "--format=%s").out()).isEqualTo("hand edit\n");
  }

  @Test
  void s3StateAndItsLocksWorkThroughAUri() throws Exception {
    try (S3TestServer server = S3TestServer.start(); S3Credentials credentials = S3Credentials.set()) {
      String bucket = server.newBucket();
      String state = server.stateUri(bucket, "envs/prod/state.json");

      ok0(at(state, "host", "add", "web01", "--address", "10.0.0.5", "--group", "web"));
      ok0(at(state, "host", "add", "web02", "--address", "10.0.0.6", "--group", "web"));
      assertThat(ok0(at(state, "--json", "host", "list")).json().size()).isEqualTo(2);
      assertThat(ok0(at(state, "state", "history")).out().lines().count()).isEqualTo(3);
      assertThat(ok0(at(state, "state", "pull")).out()).contains("\"serial\": 2");
      assertThat(ok0(at(state, "inventory", "--list")).json().get("web").get("hosts").size()).isEqualTo(2);

      String id = ok0(at(state, "lock", "acquire", "deploy")).out().strip();
      Result held = at(state, "lock", "acquire", "deploy");
      assertThat(held.code()).isEqualTo(InfrastateCli.LOCK_HELD);
      assertThat(ok0(at(state, "--json", "lock", "status", "deploy")).json().get("lock").get("id").asString()).isEqualTo(id);
      ok0(at(state, "lock", "release", "deploy", "--id", id));
      assertThat(ok0(at(state, "lock", "status", "deploy")).out()).isEqualTo("deploy: free\n");

      Result badParam = at("s3://infra/state.json?colour=blue", "state", "list");
      assertThat(badParam.code()).isEqualTo(InfrastateCli.USAGE);
      assertThat(badParam.err()).contains("Unknown parameter 'colour'");
    }
  }
}
