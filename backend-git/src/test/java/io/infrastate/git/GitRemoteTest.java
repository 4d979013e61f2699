package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.BackendException;
import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clone mode against bare remotes on disk: pushes, rejections, unreachable remotes, credentials. */
class GitRemoteTest {
  @TempDir Path tmp;

  /** Makes JGit run the real `git receive-pack` for file remotes, so that the remote's hooks run. */
  static final TransportConfigCallback REAL_RECEIVE_PACK =
      t -> t.setOptionReceivePack(gitBinary() + " receive-pack");

  static String gitBinary() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, "git"))) {
        return Path.of(dir, "git").toString();
      }
    }
    return "/usr/bin/git";
  }

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.9").port(22).user("deploy").build();
  }

  private GitBackend clone(Path remote, String dir) {
    return GitBackend.builder().remote(remote.toString()).cloneDirectory(tmp.resolve(dir)).build();
  }

  private static void hook(Path remote, String script) throws Exception {
    Path hook = remote.resolve("hooks/pre-receive");
    Files.writeString(hook, "#!/bin/sh\n" + script);
    Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @Test
  void everyWriteIsOneCommitOnTheRemoteAndAnotherMachineSeesIt() {
    Path remote = Cli.bare(tmp, "infra.git");
    try (GitBackend a = clone(remote, "a"); GitBackend b = clone(remote, "b");
        State sa = State.load(a, StateOptions.builder().operator("alice@a").build());
        State sb = State.load(b, StateOptions.builder().operator("bob@b").build())) {
      sa.addHost(host("web01"));
      sb.addHost(host("web02")); // conflicts once, re-applied on alice's commit
      sa.addHost(host("web03"));
      assertThat(sa.snapshot().hosts().keySet()).containsExactly("web01", "web02", "web03");
      assertThat(sb.refresh().hosts().keySet()).containsExactly("web01", "web02", "web03");
      assertThat(sb.history()).extracting(VersionInfo::operator).containsExactly("alice@a", "bob@b", "alice@a");
    }
    assertThat(Cli.git(remote, "log", "--format=%an %s", "main").strip().split("\n"))
        .containsExactly("alice@a Add host web03", "bob@b Add host web02", "alice@a Add host web01");
    assertThat(Cli.git(tmp.resolve("a"), "rev-parse", "refs/remotes/origin/main").strip()).isEqualTo(Cli.tip(remote, "main"));
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void aPushRejectedMidSequenceIsReappliedOnTheNewTipAndNothingIsLost() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path armed = tmp.resolve("armed");
    Path sneaky = tmp.resolve("sneaky.json");
    // Once armed, the hook lets another machine win the race: from a separate process (outside
    // receive-pack's quarantine) it commits a new version of the state and moves the branch, so
    // that the pending push's old value no longer matches and receive-pack rejects it.
    hook(remote, "[ -f '" + armed + "' ] || exit 0\n"
        + "rm -f '" + armed + "'\n"
        + "env -i PATH=\"$PATH\" sh -c '\n"
        + "  cd \"" + remote + "\" &&\n"
        + "  old=$(git rev-parse refs/heads/main) &&\n"
        + "  blob=$(git hash-object -w \"" + sneaky + "\") &&\n"
        + "  tree=$(printf \"100644 blob %s\\tstate.json\\n\" \"$blob\" | git mktree) &&\n"
        + "  new=$(GIT_AUTHOR_NAME=Sam GIT_AUTHOR_EMAIL=sam@other GIT_COMMITTER_NAME=Sam GIT_COMMITTER_EMAIL=sam@other"
        + " git commit-tree \"$tree\" -p \"$old\" -m \"Add host sneaky\") &&\n"
        + "  git update-ref refs/heads/main \"$new\" \"$old\"\n"
        + "' || exit 1\n"
        + "exit 0\n");
    GitBackendLocalTest.CountingBackend counted;
    try (GitBackend b = GitBackend.builder().remote(remote.toString()).cloneDirectory(tmp.resolve("c"))
            .transportConfig(REAL_RECEIVE_PACK).build();
        State s = State.load(counted = new GitBackendLocalTest.CountingBackend(b),
            StateOptions.builder().operator("ops@ci").build())) {
      s.addHost(host("web01"));
      s.addHost(host("web02"));
      Snapshot theirs = s.snapshot();
      Snapshot next = withHost(theirs, host("sneaky"));
      Files.write(sneaky, StateCodec.encode(next));
      Files.createFile(armed);

      s.addHost(host("web03"));

      assertThat(armed).doesNotExist();
      assertThat(counted.conflicts.get()).isEqualTo(1);
      assertThat(s.snapshot().hosts().keySet()).containsExactly("sneaky", "web01", "web02", "web03");
      assertThat(s.metadata().serial()).isEqualTo(4);
    }
    assertThat(Cli.git(remote, "log", "--format=%an %s", "main").strip().split("\n")).containsExactly(
        "ops@ci Add host web03", "Sam Add host sneaky", "ops@ci Add host web02", "ops@ci Add host web01");
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void aRemoteThatRefusesThePushForGoodIsAnErrorNotAConflict() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    try (GitBackend b = GitBackend.builder().remote(remote.toString()).cloneDirectory(tmp.resolve("c"))
            .transportConfig(REAL_RECEIVE_PACK).build();
        State s = State.load(b)) {
      s.addHost(host("web01"));
      hook(remote, "echo 'branch main is protected: open a merge request' >&2\nexit 1\n");
      Snapshot before = s.snapshot();
      String tip = Cli.tip(remote, "main");
      assertThatThrownBy(() -> s.addHost(host("web02")))
          .isInstanceOfSatisfying(BackendException.class, e -> {
            assertThat(e.retryable()).isFalse();
            assertThat(e.getMessage()).contains("refused the push", "refs/heads/main", "pre-receive hook declined");
          });
      assertThat(s.snapshot()).isSameAs(before);
      assertThat(Cli.tip(remote, "main")).isEqualTo(tip);
    }
  }

  @Test
  void anUnreachableRemoteFailsClearlyAndLeavesTheStateUntouched() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path cloneDir = tmp.resolve("c");
    try (GitBackend b = clone(remote, "c"); State s = State.load(b)) {
      s.addHost(host("web01"));
      Snapshot before = s.snapshot();
      String tracked = Cli.git(cloneDir, "rev-parse", "refs/remotes/origin/main").strip();
      Path away = tmp.resolve("moved-away.git");
      Files.move(remote, away);

      assertThatThrownBy(() -> s.addHost(host("web02")))
          .isInstanceOfSatisfying(BackendException.class, e -> {
            assertThat(e.retryable()).isTrue();
            assertThat(e.getMessage()).contains("No Git repository at " + remote, "Nothing was read or written");
          });
      assertThatThrownBy(s::refresh).isInstanceOf(BackendException.class);
      assertThat(s.snapshot()).isSameAs(before);
      assertThat(Cli.git(cloneDir, "rev-parse", "refs/remotes/origin/main").strip()).isEqualTo(tracked);

      Files.move(away, remote);
      s.addHost(host("web02"));
      assertThat(s.snapshot().hosts().keySet()).containsExactly("web01", "web02");
    }
    assertThat(Cli.commitsTouching(remote, "main", "state.json")).isEqualTo(2);
  }

  @Test
  void anUnreachableHttpRemoteNamesTheHostButNeverTheCredentials() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path cloneDir = tmp.resolve("c");
    String uri = "git+http://bot:s3cr3t-t0ken@127.0.0.1:" + port + "/ops/infra.git?clone=" + cloneDir + "&timeout=5#main:state.json";
    assertThatThrownBy(() -> State.open(uri))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.retryable()).isTrue();
          assertThat(e.getMessage())
              .contains("Could not reach the Git remote", "127.0.0.1:" + port)
              .doesNotContain("s3cr3t-t0ken")
              .doesNotContain("bot");
          assertThat(String.valueOf(e.getCause())).doesNotContain("s3cr3t-t0ken");
        });
    assertThat(Files.readString(cloneDir.resolve("config"))).doesNotContain("s3cr3t-t0ken").doesNotContain("bot");
  }

  @Test
  void aCloneDirectoryIsTiedToItsRemote() {
    Path one = Cli.bare(tmp, "one.git");
    Path two = Cli.bare(tmp, "two.git");
    GitBackend.builder().remote(one.toString()).cloneDirectory(tmp.resolve("c")).build().close();
    assertThatThrownBy(() -> GitBackend.builder().remote(two.toString()).cloneDirectory(tmp.resolve("c")).build())
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("belongs to the remote " + one);
    assertThatThrownBy(() -> GitBackend.builder().remote(two.toString()).cloneDirectory(one).build())
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("did not create as a clone");
  }

  @Test
  void aBranchCheckedOutInANonBareRemoteOnDiskIsNotWritten() {
    Path work = tmp.resolve("work");
    Cli.git(tmp, "init", "-q", "-b", "main", work.toString());
    GitBackendLocalTest.writeString(work.resolve("README.md"), "hi\n");
    Cli.git(work, "add", ".");
    Cli.git(work, "commit", "-q", "-m", "Start");
    try (GitBackend b = clone(work, "c"); State s = State.load(b)) {
      assertThatThrownBy(() -> s.addHost(host("web01")))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("checked out in the work tree " + work);
    }
    assertThat(Cli.git(work, "log", "--format=%s").strip()).isEqualTo("Start");
  }

  @Test
  void stateOpenWithACloneUriWorksAndTheLocationHasNoClonePath() {
    Path remote = Cli.bare(tmp, "infra.git");
    String uri = "git+file://" + remote + "?clone=" + tmp.resolve("c") + "#main:env/prod/state.json";
    try (State s = State.open(uri)) {
      s.addHost(host("web01"));
      assertThat(s.location()).isEqualTo("git+file://" + remote + "#main:env/prod/state.json");
    }
    try (State again = State.open(uri)) {
      assertThat(again.hasHost("web01")).isTrue();
    }
    assertThat(Cli.git(remote, "ls-tree", "-r", "--name-only", "main").strip()).isEqualTo("env/prod/state.json");
  }

  private static Snapshot withHost(Snapshot s, HostState h) {
    java.util.Map<String, HostState> hosts = new java.util.TreeMap<>(s.hosts());
    java.time.Instant now = java.time.Instant.now();
    hosts.put(h.name(), h.withTimestamps(now, now));
    return Snapshot.of(s.metadata().withSerial(s.metadata().serial() + 1, now), hosts, s.resources());
  }

}
