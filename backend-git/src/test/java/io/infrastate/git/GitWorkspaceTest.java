package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.StateStore;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockProvider;
import io.infrastate.lock.LockRequest;
import io.infrastate.testkit.WorkspaceContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workspaces of a Git state (one branch each) in a bare repository, read by the git CLI too. */
class GitWorkspaceTest extends WorkspaceContract {
  @TempDir Path tmp;
  Path repo;

  @Override
  protected String newHome() throws Exception {
    repo = Cli.bare(Files.createTempDirectory(tmp, "s"), "infra.git");
    return "git+file://" + repo + "#main:state.json";
  }

  @Test
  void aWorkspaceIsABranchThatTheGitCliReads() {
    StateStore staging = store.createWorkspace("staging", AuditEntry.of(""));
    try (State s = staging.open()) {
      s.addHost(HostState.builder("web01").address("10.0.0.1").build());
    }
    assertThat(new String(Cli.show(repo, "main.workspaces/staging", "state.json"), java.nio.charset.StandardCharsets.UTF_8))
        .contains("web01");
    assertThat(Cli.show(repo, "main", "state.json")).as("the default branch has no state yet").isNull();
    assertThat(staging.location()).endsWith("#main.workspaces/staging:state.json");
  }

  @Test
  void deletingAWorkspaceDeletesItsBranchAndItsLockRefs() throws Exception {
    StateStore staging = store.createWorkspace("staging", AuditEntry.of(""));
    try (LockProvider locks = staging.locks()) {
      Lock lock = locks.acquire("deploy", LockRequest.of("x"), Duration.ZERO);
      assertThat(Cli.git(repo, "for-each-ref", "--format=%(refname)", "refs/infrastate/"))
          .contains("refs/infrastate/workspaces/staging/locks/deploy");
      store.deleteWorkspace("staging", false, AuditEntry.of(""));
      assertThat(lock.release()).isFalse();
    }
    assertThat(Cli.git(repo, "for-each-ref", "--format=%(refname)")).doesNotContain("staging");
  }

  /** The same contract in clone mode: the home lists and deletes branches of the remote. */
  @Nested
  class CloneMode extends WorkspaceContract {
    @Override
    protected String newHome() throws Exception {
      Path remote = Cli.bare(Files.createTempDirectory(tmp, "r"), "infra.git");
      Path clone = Files.createTempDirectory(tmp, "clone");
      return "git+file://" + remote + "?clone=" + clone + "#main:state.json";
    }
  }
}
