package io.infrastate.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import io.infrastate.model.HostState;
import io.infrastate.testkit.DocBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the Java example of docs/git.md, "Tree layout": it is this test's code. */
class GitTreeLayoutDocTest {
  private static final Path DOC = Path.of("../docs/git.md");

  @TempDir Path tmp;

  @Test
  void theJavaExampleIsThisTestsCodeAndRuns() throws Exception {
    String doc = DocBlocks.code(Files.readString(DOC), "tree-java");
    String mine = DocBlocks.example(Path.of("src/test/java/io/infrastate/git/GitTreeLayoutDocTest.java"));
    assertThat(DocBlocks.normalize(mine)).isEqualTo(DocBlocks.normalize(doc));

    Path repo = Cli.bare(tmp, "infra.git");
    // example:start
    try (GitBackend git = GitBackend.builder().repository(repo).layout(GitLayout.TREE).build();
        State state = State.load(git)) {
      state.addHost(HostState.builder("web01").address("10.0.0.5").build());
    }
    try (GitBackend git = GitBackend.builder().repository(repo).build()) {
      git.migrate(GitLayout.SINGLE_FILE, "alice");
    }
    // example:end
    assertThat(Cli.git(repo, "ls-tree", "--name-only", "main").strip()).isEqualTo("state.json");
    assertThat(Cli.git(repo, "log", "--format=%s", "main", "--", "hosts/7f/web01.json").strip().split("\n"))
        .containsExactly("Migrate to the single layout", "Add host web01");
  }
}
