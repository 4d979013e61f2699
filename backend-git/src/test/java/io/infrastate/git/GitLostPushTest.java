package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.CommitOutcomeUnknownException;
import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.Transaction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pushes whose reply is lost, made real: the remote runs the {@code git} CLI's receive-pack, and a
 * hook kills it at a chosen moment (after the branch moved, or before), so that the client sees
 * the connection end without a report. The backend asks the remote before returning; only when
 * the remote is gone too does the write end in {@link CommitOutcomeUnknownException}, and a retry
 * that passes it back applies the change exactly once.
 */
class GitLostPushTest {
  @TempDir Path tmp;

  static final String COUNTER = "counter:deploys";

  static final Consumer<Transaction> COUNT_DEPLOY = tx -> {
    ResourceState c = tx.getResource(COUNTER).orElseThrow();
    tx.addResource(COUNTER, c.withData("count", ((Number) c.data().get("count")).longValue() + 1));
  };

  static long count(State state) {
    return ((Number) state.getResource(COUNTER).orElseThrow().data().get("count")).longValue();
  }

  /**
   * Installs a hook that, once the file {@code armed} exists, removes it, leaves {@code fired},
   * runs {@code then} and kills the receive-pack that ran it (its parent) without a reply.
   */
  static void killingHook(Path remote, String hook, String condition, Path armed, String then) throws Exception {
    Path h = remote.resolve("hooks/" + hook);
    Files.writeString(h, "#!/bin/sh\n"
        + condition + "\n"
        + "[ -f '" + armed + "' ] || exit 0\n"
        + "rm -f '" + armed + "'\n"
        + "touch '" + armed + ".fired'\n"
        + then + "\n"
        + "kill -9 $PPID\n"
        + "exit 0\n");
    Files.setPosixFilePermissions(h, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  GitBackend clone(Path remote) {
    return GitBackend.builder().remote(remote.toString()).cloneDirectory(tmp.resolve("clone"))
        .transportConfig(GitRemoteTest.REAL_RECEIVE_PACK).build();
  }

  static StateOptions options() {
    return StateOptions.builder().operator("ops@ci").build();
  }

  static HostState host(String name) {
    return HostState.builder(name).address("10.4.0.1").build();
  }

  @Test
  void aPushWhoseReplyIsLostAfterTheBranchMovedIsReportedStored() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path armed = tmp.resolve("armed");
    // reference-transaction runs with "committed" once the ref moved, before receive-pack reports
    killingHook(remote, "reference-transaction", "[ \"$1\" = committed ] || exit 0", armed, "");
    try (GitBackend b = clone(remote); State s = State.load(b, options())) {
      s.addHost(host("web01"));
      Files.createFile(armed);
      s.addHost(host("web02"));
      assertThat(tmp.resolve("armed.fired")).exists();
      assertThat(s.metadata().serial()).isEqualTo(2);
      s.addHost(host("web03")); // the handle's version is the stored one: no conflict, no reload needed
    }
    assertThat(Cli.git(remote, "log", "--format=%s", "main").strip().split("\n"))
        .containsExactly("Add host web03", "Add host web02", "Add host web01");
    assertThat(Cli.git(remote, "log", "-1", "--format=%(trailers:key=Infrastate-Write,valueonly)", "main~1").strip())
        .matches("[0-9a-f-]{36}");
    Cli.git(remote, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void aPushThatDiedBeforeTheBranchMovedIsPushedAgainOnce() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path armed = tmp.resolve("armed");
    killingHook(remote, "pre-receive", "", armed, "");
    try (GitBackend b = clone(remote); State s = State.load(b, options())) {
      s.addHost(host("web01"));
      Files.createFile(armed);
      s.addHost(host("web02"));
      assertThat(tmp.resolve("armed.fired")).exists();
      assertThat(s.metadata().serial()).isEqualTo(2);
    }
    assertThat(Cli.git(remote, "log", "--format=%s", "main").strip().split("\n"))
        .containsExactly("Add host web02", "Add host web01");
  }

  @Test
  void anUnknownOutcomeIsReportedAndARetryCountsOnce() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path away = tmp.resolve("infra.git.away");
    Path armed = tmp.resolve("armed");
    // the branch moves, the reply is lost, and the remote is unreachable while the writer asks
    killingHook(remote, "reference-transaction", "[ \"$1\" = committed ] || exit 0", armed,
        "mv '" + remote + "' '" + away + "'");
    try (GitBackend b = clone(remote); State s = State.load(b, options())) {
      s.addResource(COUNTER, ResourceState.builder("counter", "deploys").data("count", 0).build());
      Files.createFile(armed);
      CommitOutcomeUnknownException e = catchThrowableOfType(
          () -> s.update(AuditEntry.of("count a deploy"), COUNT_DEPLOY), CommitOutcomeUnknownException.class);
      assertThat(e).isNotNull();
      assertThat(e.serial()).isEqualTo(2);
      assertThat(e).hasMessageContaining("is unknown").hasMessageContaining(remote.toString())
          .hasMessageContaining(e.writeId());
      assertThat(count(s)).isZero();

      Files.move(away, remote); // the remote is back
      assertThat(b.committedBy(2, e.writeId())).isTrue();
      s.update(AuditEntry.of("count a deploy").retrying(e), COUNT_DEPLOY);
      assertThat(count(s)).isEqualTo(1);
      assertThat(s.metadata().serial()).isEqualTo(2);
    }
    assertThat(Cli.git(remote, "rev-list", "--count", "main").strip()).isEqualTo("2");
  }

  @Test
  void anUnknownOutcomeOfAPushThatNeverArrivedIsAppliedOnceByTheRetry() throws Exception {
    Path remote = Cli.bare(tmp, "infra.git");
    Path away = tmp.resolve("infra.git.away");
    Path armed = tmp.resolve("armed");
    killingHook(remote, "pre-receive", "", armed, "mv '" + remote + "' '" + away + "'");
    try (GitBackend b = clone(remote); State s = State.load(b, options())) {
      s.addResource(COUNTER, ResourceState.builder("counter", "deploys").data("count", 0).build());
      Files.createFile(armed);
      CommitOutcomeUnknownException e = catchThrowableOfType(
          () -> s.update(AuditEntry.of("count a deploy"), COUNT_DEPLOY), CommitOutcomeUnknownException.class);
      assertThat(e).isNotNull();
      Files.move(away, remote);
      assertThat(b.committedBy(2, e.writeId())).isFalse();
      s.update(AuditEntry.of("count a deploy").retrying(e), COUNT_DEPLOY);
      assertThat(count(s)).isEqualTo(1);
    }
    assertThat(Cli.git(remote, "rev-list", "--count", "main").strip()).isEqualTo("2");
  }
}
