package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.Processes;
import io.infrastate.examples.Processes.Result;
import io.infrastate.testkit.DocBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the CLI commands of docs/workspaces.md through the real launcher and checks what they print. */
class WorkspacesDocIT {
  @TempDir Path tmp;

  @Test
  void theWorkspaceCommandsPrintWhatThePageShows() throws Exception {
    String page = Files.readString(Processes.REPO.resolve("docs/workspaces.md"));
    String commands = DocBlocks.code(page, "cli-workspaces");
    String expected = DocBlocks.code(page, "cli-workspaces-output");
    String script = "set -e\n" + commands.replace("./infrastate", Processes.REPO.resolve("infrastate").toString());
    Result r = Processes.run(tmp, Map.of(), List.of("sh", "-c", script));
    assertThat(r.code()).as(r.toString()).isZero();
    String out = r.out().replace(tmp.toRealPath().toString(), "/tmp/demo").replace(tmp.toString(), "/tmp/demo");
    assertThat(out.lines().map(String::stripTrailing).toList())
        .as(r.toString()).isEqualTo(expected.lines().map(String::stripTrailing).toList());
    assertThat(tmp.resolve("state.json.d/staging")).doesNotExist();
    assertThat(tmp.resolve("state.json.d/qa")).as("selecting a missing workspace creates nothing").doesNotExist();
  }
}
