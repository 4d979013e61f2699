package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.model.StateDiff;
import io.infrastate.StateOptions;
import io.infrastate.model.VersionInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GARZA OS seed's workflow on the Git backend's file: {@code jq '…' state.json > tmp && mv tmp
 * state.json}, then {@code git commit} and {@code git push} with the real CLIs. The person's commit
 * is a version of its own, attributed to its author, even though jq left the serial alone (and
 * when a Go-FTL2 writer dropped serial and lineage): the next infrastate write follows it, and
 * every earlier version stays readable by its serial.
 */
class GitExternalEditTest {
  @TempDir Path tmp;

  private static final StateOptions BOT = StateOptions.builder().operator("bot@ci").build();

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.7").port(22).user("deploy").build();
  }

  private static void jqCommitAndPush(Path person, String filter, String message) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", "jq '" + filter + "' state.json > tmp && mv tmp state.json")
        .directory(person.toFile()).redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
    Cli.git(person, "commit", "-q", "-am", message);
    Cli.git(person, "push", "-q", "origin", "main");
  }

  private static boolean jqInstalled() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "jq"))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aPersonsJqCommitThatKeptTheSerialIsItsOwnVersionByItsAuthor() throws Exception {
    assumeTrue(jqInstalled(), "jq is not installed (apt-get install jq; .ci/run installs it): not tested here");
    Path remote = Cli.bare(tmp, "infra.git");
    try (GitBackend b = GitBackend.builder().repository(remote).build(); State s = State.load(b, BOT)) {
      s.addHost(host("web01"));
      s.addHost(host("web02"));
      String lineage = s.metadata().lineage();
      Path person = Cli.personClone(remote, tmp.resolve("person"));
      jqCommitAndPush(person, ".hosts[\"web01\"].address = \"10.9.9.9\"", "Move web01 to 10.9.9.9");

      assertThat(s.refresh().metadata().serial()).isEqualTo(3);
      s.addHost(host("web03"));
      assertThat(s.metadata().serial()).isEqualTo(4);
      assertThat(s.history()).extracting(VersionInfo::serial, VersionInfo::operator, VersionInfo::operation).containsExactly(
          Tuple.tuple(4L, "bot@ci", "add host web03"),
          Tuple.tuple(3L, "Pat Person <pat@example.com>", "Move web01 to 10.9.9.9"),
          Tuple.tuple(2L, "bot@ci", "add host web02"),
          Tuple.tuple(1L, "bot@ci", "add host web01"));
      Snapshot v2 = s.at(2).orElseThrow();
      Snapshot v3 = s.at(3).orElseThrow();
      assertThat(v2.getHost("web01").orElseThrow().address()).isEqualTo("10.0.0.7");
      assertThat(v3.getHost("web01").orElseThrow().address()).isEqualTo("10.9.9.9");
      assertThat(StateDiff.between(v2, v3).entries()).hasSize(1);
      assertThat(StateDiff.between(v3, s.at(4).orElseThrow()).hosts(StateDiff.Kind.ADDED)).containsExactly("web03");
      assertThat(List.of(v2, v3, s.at(4).orElseThrow())).allMatch(v -> v.metadata().lineage().equals(lineage));
    }
  }

  @Test
  void aPersonsCommitOfAFileWithoutSerialAndLineageContinuesTheLineage() throws Exception {
    assumeTrue(jqInstalled(), "jq is not installed (apt-get install jq; .ci/run installs it): not tested here");
    Path remote = Cli.bare(tmp, "infra.git");
    String lineage;
    try (GitBackend b = GitBackend.builder().repository(remote).build(); State s = State.load(b, BOT)) {
      s.addHost(host("web01"));
      s.addHost(host("web02"));
      lineage = s.metadata().lineage();
    }
    Path person = Cli.personClone(remote, tmp.resolve("person"));
    jqCommitAndPush(person, "del(.metadata.serial, .metadata.lineage) | del(.hosts[\"web02\"])", "Retire web02 (Go-FTL2)");
    try (GitBackend b = GitBackend.builder().repository(remote).build(); State s = State.load(b, BOT)) {
      assertThat(s.metadata().serial()).isEqualTo(3);
      assertThat(s.metadata().lineage()).isEqualTo(lineage);
      s.addHost(host("web03"));
      assertThat(s.history()).extracting(VersionInfo::serial, VersionInfo::operator).containsExactly(
          Tuple.tuple(4L, "bot@ci"), Tuple.tuple(3L, "Pat Person <pat@example.com>"), Tuple.tuple(2L, "bot@ci"),
          Tuple.tuple(1L, "bot@ci"));
      assertThat(s.at(3).orElseThrow().hasHost("web02")).isFalse();
      assertThat(s.at(2).orElseThrow().hasHost("web02")).isTrue();
      assertThat(s.at(4).orElseThrow().metadata().lineage()).isEqualTo(lineage);
    }
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }
}
