package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.HostState;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The branch's reflog is kept where git keeps one, and only there. */
class GitReflogTest {
  @TempDir Path tmp;

  private static void write(Path repo, GitLayout layout) {
    try (GitBackend b = GitBackend.builder().repository(repo).layout(layout).build();
        State s = State.load(b, StateOptions.builder().operator("bot").build())) {
      s.addHost(HostState.builder("web01").address("10.0.0.1").build());
      s.addHost(HostState.builder("web02").address("10.0.0.2").build());
    }
  }

  @Test
  void aBareRepositoryGetsNoReflogUnlessItAsksForOne() {
    for (GitLayout layout : GitLayout.values()) {
      Path plain = Cli.bare(tmp, "plain-" + layout.uriName() + ".git");
      write(plain, layout);
      assertThat(plain.resolve("logs/refs/heads/main")).doesNotExist();

      Path logged = Cli.bare(tmp, "logged-" + layout.uriName() + ".git");
      Cli.git(logged, "config", "core.logAllRefUpdates", "true");
      write(logged, layout);
      assertThat(Cli.git(logged, "reflog", "show", "--format=%gs", "main").strip().split("\n"))
          .hasSize(2).allMatch(entry -> entry.startsWith("infrastate: "));
    }
  }

  @Test
  void aReflogThatExistsIsKeptUp() throws Exception {
    Path repo = Cli.bare(tmp, "infra.git");
    Files.createDirectories(repo.resolve("logs/refs/heads"));
    Files.createFile(repo.resolve("logs/refs/heads/main"));
    write(repo, GitLayout.TREE);
    assertThat(Files.readAllLines(repo.resolve("logs/refs/heads/main"))).hasSize(2);
  }
}
