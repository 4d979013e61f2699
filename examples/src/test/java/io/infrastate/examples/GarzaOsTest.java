package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.Processes.Result;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seed 000: runs {@link GarzaOs#main}, then reads the repository it wrote with the real {@code git}
 * CLI, as the seed's operators do.
 */
class GarzaOsTest {
  @TempDir Path tmp;

  Result git(Path repo, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("git", "--git-dir=" + repo));
    cmd.addAll(List.of(args));
    Result r = Processes.run(tmp, Map.of(), cmd);
    assertThat(r.code()).as(r.toString()).isZero();
    return r;
  }

  @Test
  void deploysUnderAResourceLockAndTheAuditTrailIsGitLog() throws Exception {
    String out = QuickStartTest.capture(() -> {
      try {
        GarzaOs.main(new String[] {tmp.toString()});
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertThat(out)
        .contains("before deploy: garza-home-mcp is v2.0.3, lock resource-fly_app:garza-home-mcp is free")
        .contains("health checker: restart garza-home-mcp refused: true (locked by claude <claude@garza.os> for deploy)")
        .contains("health checker: recorded garza-edge healthy (pushed from its clone)")
        .contains("after deploy: lock resource-fly_app:garza-home-mcp is free; the health checker sees v2.1.0")
        .contains("git log -- state/state.json:");

    Path repo = tmp.resolve("infra.git");
    List<String> log = git(repo, "log", "--format=%an <%ae>|%s", "--", "state/state.json").out().lines().toList();
    assertThat(log).hasSize(4);
    assertThat(log.get(0)).startsWith("claude <claude@garza.os>|Deploy garza-home-mcp v2.1.0 (operation ");
    assertThat(log.get(1)).isEqualTo("health-checker <checker@garza.os>|Health check garza-edge: healthy");
    assertThat(log.get(2)).isEqualTo("claude <claude@garza.os>|Start deploy garza-home-mcp v2.1.0");
    assertThat(log.get(3)).isEqualTo("claude <claude@garza.os>|Record deployments");
    // The example printed the same trail.
    assertThat(out).contains("claude: Record deployments").contains("health-checker: Health check garza-edge: healthy");

    assertThat(git(repo, "log", "-1", "--format=%(trailers:key=Infrastate-Serial,valueonly)").out().strip()).isEqualTo("4");
    String file = git(repo, "show", "main:state/state.json").out();
    assertThat(file).contains("\"version\": \"v2.1.0\"").contains("\"last_health_check\": \"healthy\"").contains("\"result\": \"success\"");
    assertThat(git(repo, "for-each-ref", "--format=%(subject)", "refs/infrastate/locks/").out())
        .as("the lock was released").startsWith("Release lock ");
    git(repo, "fsck", "--strict");
  }
}
