package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.VersionInfo;
import io.infrastate.testkit.JvmProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clone mode fetches only the branch's tip on first open and older history only when a walk needs
 * it: against bare remotes with many commits, checked with the real {@code git} CLI.
 */
class GitShallowCloneTest {
  @TempDir Path tmp;

  private static final StateOptions BOT = StateOptions.builder().operator("bot@ci").build();
  private static final int VERSIONS = 40;

  private static HostState host(String name, String address) {
    return HostState.builder(name).address(address).port(22).user("deploy").build();
  }

  /** A bare remote whose branch holds {@code versions} versions, host hN added by version N. */
  private Path remoteWith(int versions) {
    Path remote = Cli.bare(tmp, "infra.git");
    try (GitBackend b = GitBackend.builder().repository(remote).build(); State s = State.load(b, BOT)) {
      for (int i = 1; i <= versions; i++) {
        s.addHost(host("h" + i, "10.0.0.7"));
      }
    }
    return remote;
  }

  private static GitBackend clone(Path remote, Path dir) {
    return GitBackend.builder().remote(remote.toString()).cloneDirectory(dir).build();
  }

  /** The commits of the branch the clone has, as {@code git} counts them. */
  private static int commitsIn(Path clone) {
    return Integer.parseInt(Cli.git(clone, "rev-list", "--count", "refs/remotes/origin/main").strip());
  }

  @Test
  void aFirstOpenFetchesOnlyTheTipAndTheGitCliReadsTheClone() throws Exception {
    Path remote = remoteWith(VERSIONS);
    Path dir = tmp.resolve("clone");
    try (GitBackend b = clone(remote, dir); State s = State.load(b, BOT)) {
      assertThat(s.metadata().serial()).isEqualTo(VERSIONS);
      assertThat(s.snapshot().hosts()).hasSize(VERSIONS);
      assertThat(commitsIn(dir)).isEqualTo(1);
      assertThat(Cli.git(dir, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)").lines()
          .filter("commit"::equals).count()).as("commit objects in the clone").isEqualTo(1);
      // a write on top of the shallow tip: one commit, pushed with its real parent
      s.addHost(host("new", "10.0.0.8"));
      assertThat(Cli.git(remote, "rev-list", "--count", "main").strip()).isEqualTo(Integer.toString(VERSIONS + 1));
    }
    assertThat(Files.readString(dir.resolve("shallow"), StandardCharsets.US_ASCII).lines()).hasSize(1);
    assertThat(Cli.git(dir, "log", "--format=%s", "refs/remotes/origin/main").lines())
        .containsExactly("Add host new", "Add host h" + VERSIONS);
    Cli.git(dir, "fsck", "--no-dangling");
    // JGit's gc (the clone's automatic maintenance) keeps the shallow clone whole and readable
    try (org.eclipse.jgit.api.Git git = org.eclipse.jgit.api.Git.open(dir.toFile())) {
      git.gc().call();
    }
    Cli.git(dir, "fsck", "--no-dangling");
    try (GitBackend b = clone(remote, dir); State s = State.load(b, BOT)) {
      assertThat(s.history(3)).extracting(VersionInfo::serial).containsExactly(VERSIONS + 1L, (long) VERSIONS, VERSIONS - 1L);
    }
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void historyDeepensTheCloneAndListsEveryVersion() {
    Path remote = remoteWith(VERSIONS);
    List<VersionInfo> expected;
    try (GitBackend local = GitBackend.builder().repository(remote).build()) {
      expected = local.history(1000);
    }
    Path dir = tmp.resolve("clone");
    try (GitBackend b = clone(remote, dir); State s = State.load(b, BOT)) {
      assertThat(s.history(5)).isEqualTo(expected.subList(0, 5));
      int afterFive = commitsIn(dir);
      assertThat(afterFive).as("commits fetched for five versions").isBetween(5, VERSIONS - 1);
      assertThat(s.history()).isEqualTo(expected).hasSize(VERSIONS);
      assertThat(commitsIn(dir)).isEqualTo(VERSIONS);
    }
    assertThat(dir.resolve("shallow")).doesNotExist();
    Cli.git(dir, "fsck", "--no-dangling");
  }

  @Test
  void anOldVersionIsReadAndRolledBackTo() {
    Path remote = remoteWith(VERSIONS);
    try (GitBackend b = clone(remote, tmp.resolve("clone")); State s = State.load(b, BOT)) {
      Snapshot first = s.at(1).orElseThrow();
      assertThat(first.metadata().serial()).isEqualTo(1);
      assertThat(first.hosts().keySet()).containsExactly("h1");
      Snapshot rolled = s.rollback(2, AuditEntry.of("rollback to version 2"));
      assertThat(rolled.metadata().serial()).isEqualTo(VERSIONS + 1);
      assertThat(rolled.hosts().keySet()).containsExactlyInAnyOrder("h1", "h2");
    }
    try (GitBackend local = GitBackend.builder().repository(remote).build(); State s = State.load(local, BOT)) {
      assertThat(s.snapshot().hosts().keySet()).containsExactlyInAnyOrder("h1", "h2");
      assertThat(s.history(1).get(0).operation()).isEqualTo("rollback to version 2");
    }
  }

  @Test
  void aPersonsCommitAtTheTipOfAFreshCloneIsNumberedFromTheVersionBeforeIt() {
    Path remote = remoteWith(VERSIONS);
    byte[] content = Cli.show(remote, "main", "state.json");
    String edited = new String(content, StandardCharsets.UTF_8).replaceFirst("10\\.0\\.0\\.7", "10.9.9.9");
    Cli.commitFile(remote, "main", "state.json", edited.getBytes(StandardCharsets.UTF_8), "Move a host by hand");
    try (GitBackend b = clone(remote, tmp.resolve("clone")); State s = State.load(b, BOT)) {
      // the file kept serial VERSIONS: the person's commit is version VERSIONS + 1, of the same lineage
      assertThat(s.metadata().serial()).isEqualTo(VERSIONS + 1);
      assertThat(s.history(2)).extracting(VersionInfo::serial, VersionInfo::operation)
          .containsExactly(org.assertj.core.groups.Tuple.tuple((long) VERSIONS + 1, "Move a host by hand"),
              org.assertj.core.groups.Tuple.tuple((long) VERSIONS, "add host h" + VERSIONS));
      s.addHost(host("next", "10.0.0.9"));
      assertThat(s.metadata().serial()).isEqualTo(VERSIONS + 2);
    }
  }

  @Test
  void aFileDeletedBeforeTheTipOfAFreshCloneIsDamageNotANewState() {
    Path remote = remoteWith(3);
    Path person = Cli.personClone(remote, tmp.resolve("person"));
    Cli.git(person, "rm", "-q", "state.json");
    Cli.git(person, "commit", "-q", "-m", "Remove the state");
    Cli.git(person, "commit", "-q", "--allow-empty", "-m", "Unrelated change");
    Cli.git(person, "push", "-q", "origin", "main");
    try (GitBackend b = clone(remote, tmp.resolve("clone"))) {
      assertThatThrownBy(b::load).isInstanceOf(CorruptStateException.class)
          .hasMessageContaining("was deleted by commit")
          .hasMessageContaining("Remove the state");
    }
  }

  /**
   * Writers that open fresh (shallow) clones of a remote with history while others write: two
   * processes and this JVM sharing one clone directory, and a process with its own. No update is
   * lost, and the history read through yet another fresh clone is complete.
   */
  @Test
  void shallowClonesWritingConcurrentlyLoseNothing() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    try (State s = State.open("git+file://" + remote, BOT)) {
      for (int i = 0; i < 20; i++) {
        CounterWriter.increment(s, "setup");
      }
    }
    int writes = 15;
    Path shared = tmp.resolve("shared");
    String sharedUri = "git+file://" + remote + "?clone=" + shared + "#main:state.json";
    List<JvmProcess> children = new ArrayList<>();
    try {
      children.add(JvmProcess.start(CounterWriter.class, tmp.resolve("p0.log"), sharedUri, "p0", Integer.toString(writes)));
      children.add(JvmProcess.start(CounterWriter.class, tmp.resolve("p1.log"), sharedUri, "p1", Integer.toString(writes)));
      children.add(JvmProcess.start(CounterWriter.class, tmp.resolve("p2.log"),
          "git+file://" + remote + "?clone=" + tmp.resolve("own") + "#main:state.json", "p2", Integer.toString(writes)));
      CounterWriter.main(new String[] {sharedUri, "t0", Integer.toString(writes)});
      for (JvmProcess child : children) {
        assertThat(child.await(5, TimeUnit.MINUTES)).as(child.output()).isZero();
        assertThat(child.output()).contains("done p");
      }
    } finally {
      children.forEach(JvmProcess::close);
    }
    int total = 20 + 4 * writes;
    try (State check = State.open("git+file://" + remote + "?clone=" + tmp.resolve("check"))) {
      Snapshot end = check.snapshot();
      assertThat(CounterWriter.value(end, "total")).isEqualTo(total);
      for (String w : List.of("p0", "p1", "p2", "t0")) {
        assertThat(CounterWriter.value(end, w)).as(w).isEqualTo(writes);
      }
      assertThat(end.metadata().serial()).isEqualTo(total);
      List<VersionInfo> history = check.history();
      assertThat(history).hasSize(total);
      for (int i = 0; i < history.size(); i++) {
        assertThat(history.get(i).serial()).isEqualTo(total - i);
      }
    }
    assertThat(Cli.git(remote, "rev-list", "--count", "main").strip()).isEqualTo(Integer.toString(total));
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
    Cli.git(shared, "log", "--oneline", "refs/remotes/origin/main");
    Cli.git(shared, "fsck", "--no-dangling");
  }
}
