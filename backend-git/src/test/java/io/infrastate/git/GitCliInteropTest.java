package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A person works on the same repository with the real {@code git} CLI: clones, reads, commits and
 * pushes; the backend reads what they commit, and stops on what they break.
 */
class GitCliInteropTest {
  @TempDir Path tmp;

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.7").port(22).user("deploy").build();
  }

  private static StateOptions as(String operator) {
    return StateOptions.builder().operator(operator).build();
  }

  private static void commitAndPush(Path person, String message) {
    Cli.git(person, "commit", "-q", "-am", message);
    Cli.git(person, "push", "-q", "origin", "main");
  }

  @Test
  void aPersonsHandEditedCommitIsReadBackAndKeptInTheHistory() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    try (GitBackend b = GitBackend.builder().repository(remote).build(); State s = State.load(b, as("bot@ci"))) {
      s.addHost(host("web01"));
      Snapshot v1 = s.snapshot();

      Path person = Cli.personClone(remote, tmp.resolve("person"));
      assertThat(Files.readAllBytes(person.resolve("state.json"))).isEqualTo(StateCodec.encode(v1));
      // The person edits the file in an editor: another layout, a new host, the serial bumped.
      String lineage = v1.metadata().lineage();
      Files.writeString(person.resolve("state.json"), "{\"metadata\":{\"version\":\"1.0\",\"serial\":2,\"lineage\":\"" + lineage + "\","
          + "\"created_at\":\"" + StateCodec.formatTime(v1.metadata().createdAt()) + "\",\"updated_at\":\"2026-11-22T10:00:00Z\"},"
          + "\"hosts\":{\"web01\":{\"name\":\"web01\",\"address\":\"10.0.0.8\",\"port\":2222,\"user\":\"deploy\","
          + "\"created_at\":\"2026-11-22T09:00:00Z\",\"updated_at\":\"2026-11-22T10:00:00Z\"}},\"resources\":{}}");
      commitAndPush(person, "Move web01 to 10.0.0.8:2222 by hand");

      Snapshot seen = s.refresh();
      assertThat(seen.getHost("web01").orElseThrow().address()).isEqualTo("10.0.0.8");
      assertThat(seen.getHost("web01").orElseThrow().port()).isEqualTo(2222);
      assertThat(seen.metadata().serial()).isEqualTo(2);

      s.addHost(host("web02"));
      assertThat(s.metadata().serial()).isEqualTo(3);
      assertThat(s.history()).extracting(VersionInfo::serial, VersionInfo::operator, VersionInfo::operation)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(3L, "bot@ci", "add host web02"),
              org.assertj.core.groups.Tuple.tuple(2L, "Pat Person <pat@example.com>", "Move web01 to 10.0.0.8:2222 by hand"),
              org.assertj.core.groups.Tuple.tuple(1L, "bot@ci", "add host web01"));
      assertThat(s.at(2).orElseThrow().getHost("web01").orElseThrow().port()).isEqualTo(2222);

      Cli.git(person, "pull", "-q", "--ff-only");
      assertThat(Cli.git(person, "log", "--format=%an <%ae>|%s", "--", "state.json").strip().split("\n")).containsExactly(
          "bot@ci <bot@ci>|Add host web02",
          "Pat Person <pat@example.com>|Move web01 to 10.0.0.8:2222 by hand",
          "bot@ci <bot@ci>|Add host web01");
      String write = "Infrastate-Write: [0-9a-f]{8}-[0-9a-f-]{27}\n";
      assertThat(Cli.git(person, "show", "-s", "--format=%B", "HEAD"))
          .matches("Add host web02\n\nInfrastate-Serial: 3\nInfrastate-Operation: add host web02\n" + write + "\n");
      byte[] message = Cli.gitBytes(person, new byte[0], "show", "-s", "--format=%B", "HEAD");
      assertThat(new String(Cli.gitBytes(person, message, "interpret-trailers", "--parse"), StandardCharsets.UTF_8))
          .matches("Infrastate-Serial: 3\nInfrastate-Operation: add host web02\n" + write);
    }
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void aCommitThatDamagesTheStateStopsEveryWriteUntilItIsReverted() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    try (GitBackend b = GitBackend.builder().remote(remote.toString()).cloneDirectory(tmp.resolve("c")).build();
        State s = State.load(b, as("bot@ci"))) {
      s.addHost(host("web01"));
      String good = Cli.tip(remote, "main");

      Path person = Cli.personClone(remote, tmp.resolve("person"));
      String text = Files.readString(person.resolve("state.json"));
      Files.writeString(person.resolve("state.json"), text.replace("\"port\": 22", "\"port\": \"twenty-two\""));
      commitAndPush(person, "Fix the port");
      String bad = Cli.tip(remote, "main");

      assertThatThrownBy(() -> s.addHost(host("web02")))
          .isInstanceOfSatisfying(CorruptStateException.class, e -> {
            assertThat(e.jsonPath()).contains("$.hosts.web01.port");
            assertThat(e.location()).contains("infra.git#main:state.json", bad.substring(0, 12));
            assertThat(e.getMessage()).contains(
                "is damaged at $.hosts.web01.port",
                "commit " + bad.substring(0, 12) + " by Pat Person <pat@example.com> (\"Fix the port\") made this change",
                "the last good version is serial 1 in commit " + good.substring(0, 12),
                "git revert " + bad.substring(0, 12),
                "push");
          });
      assertThat(Cli.tip(remote, "main")).isEqualTo(bad);
      assertThat(Cli.commitsTouching(remote, "main", "state.json")).isEqualTo(2);
      assertThatThrownBy(() -> State.open("git+file://" + remote + "?clone=" + tmp.resolve("c2")))
          .isInstanceOf(CorruptStateException.class);
      assertThat(s.history()).extracting(VersionInfo::serial).containsExactly(1L);

      Cli.git(person, "revert", "--no-edit", "HEAD");
      Cli.git(person, "push", "-q", "origin", "main");
      s.addHost(host("web02"));
      assertThat(s.snapshot().hosts().keySet()).containsExactly("web01", "web02");
      assertThat(s.metadata().serial()).isEqualTo(2);
    }
    assertThat(Cli.git(remote, "log", "--format=%s", "main").strip().split("\n")).containsExactly(
        "Add host web02", "Revert \"Fix the port\"", "Fix the port", "Add host web01");
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void aStateFileDeletedByACommitIsDamageNotAFreshStart() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    try (GitBackend b = GitBackend.builder().repository(remote).build(); State s = State.load(b)) {
      s.addHost(host("web01"));
      Path person = Cli.personClone(remote, tmp.resolve("person"));
      Cli.git(person, "rm", "-q", "state.json");
      commitAndPush(person, "Clean up");
      String deleter = Cli.tip(remote, "main").substring(0, 12);

      assertThatThrownBy(() -> s.addHost(host("web02")))
          .isInstanceOf(CorruptStateException.class)
          .hasMessageContaining("was deleted by commit " + deleter)
          .hasMessageContaining("git revert " + deleter);
      assertThatThrownBy(s::refresh).isInstanceOf(CorruptStateException.class);
      try (GitBackend fresh = GitBackend.builder().repository(remote).build()) {
        assertThatThrownBy(fresh::load).isInstanceOf(CorruptStateException.class).hasMessageContaining("deleted");
      }
      assertThat(Cli.commitsTouching(remote, "main", "state.json")).isEqualTo(2);

      Cli.git(person, "revert", "--no-edit", "HEAD");
      Cli.git(person, "push", "-q", "origin", "main");
      s.addHost(host("web02"));
      assertThat(s.snapshot().hosts().keySet()).containsExactly("web01", "web02");
    }
  }

  @Test
  void aStateFileWrittenByGoFtl2AndCommittedByHandIsAdopted() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path person = tmp.resolve("person");
    Cli.git(tmp, "clone", "-q", remote.toString(), person.toString());
    String go = "{\n  \"metadata\": {\n    \"version\": \"1.0\",\n    \"created_at\": \"2024-01-15T10:30:00Z\",\n"
        + "    \"updated_at\": \"2024-01-15T14:45:00Z\"\n  },\n  \"hosts\": {\n    \"web01\": {\n      \"name\": \"web01\",\n"
        + "      \"address\": \"192.168.1.10\",\n      \"port\": 22,\n      \"user\": \"admin\",\n"
        + "      \"created_at\": \"2024-01-15T10:30:00Z\",\n      \"updated_at\": \"2024-01-15T10:30:00Z\"\n    }\n  },\n"
        + "  \"resources\": {}\n}\n";
    Files.writeString(person.resolve("state.json"), go, StandardCharsets.UTF_8);
    Cli.git(person, "add", "state.json");
    Cli.git(person, "commit", "-q", "-m", "Import state from Go-FTL2");
    Cli.git(person, "push", "-q", "origin", "main");
    try (State s = State.open("git+file://" + remote + "#main:state.json", as("bot@ci"))) {
      assertThat(s.metadata().serial()).isZero();
      assertThat(s.history()).extracting(VersionInfo::operation).containsExactly("Import state from Go-FTL2");
      s.addHost(host("web02"));
      assertThat(s.metadata().serial()).isEqualTo(1);
      assertThat(s.metadata().lineage()).isNotEmpty();
    }
    assertThat(Cli.commitsTouching(remote, "main", "state.json")).isEqualTo(2);
  }
}
