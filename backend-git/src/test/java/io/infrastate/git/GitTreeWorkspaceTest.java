package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import io.infrastate.StateStore;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.testkit.WorkspaceContract;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workspaces of a Git state in the tree layout ({@code layout=tree}): each branch holds one. */
class GitTreeWorkspaceTest extends WorkspaceContract {
  @TempDir Path tmp;
  Path repo;

  @Override
  protected String newHome() throws Exception {
    repo = Cli.bare(Files.createTempDirectory(tmp, "s"), "infra.git");
    return "git+file://" + repo + "?layout=tree#main:state.json";
  }

  @Test
  void aWorkspaceIsWrittenInTheTreeLayout() {
    StateStore staging = store.createWorkspace("staging", AuditEntry.of(""));
    try (State s = staging.open()) {
      s.addHost(HostState.builder("web01").address("10.0.0.1").build());
    }
    assertThat(Cli.show(repo, "main.workspaces/staging", "hosts/" + EntryNames.path("web01"))).isNotNull();
    assertThat(Cli.show(repo, "main.workspaces/staging", "state.json")).isEqualTo(TreeLayout.MARKER);
  }
}
