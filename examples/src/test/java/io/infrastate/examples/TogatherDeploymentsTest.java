package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import io.infrastate.model.VersionInfo;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seed 002: runs {@link TogatherDeployments#main} and checks what it printed and stored. */
class TogatherDeploymentsTest {
  @TempDir Path tmp;

  @Test
  void deploysUnderTheLockTakesOverAStaleOneValidatesAndRollsBack() {
    String out = QuickStartTest.capture(() -> TogatherDeployments.main(new String[] {tmp.toString()}));
    assertThat(out)
        .contains("took over the stale lock of ci@old-runner")
        .contains("deployed abc1234: current abc1234 in blue slot, healthy, active")
        .contains("concurrent deploy refused: true, held by deploy def5678")
        .contains("previous abc1234 in blue slot, healthy, superseded")
        .contains("refused by the schema: $.resources['deployment:current']: version must be a 7-character Git SHA ([a-f0-9]{7}), got main")
        .contains("lock after the refused deploy: free")
        .contains("deployed 0a1b2c3: current 0a1b2c3 in blue slot, unhealthy, active")
        .contains("rolled back to version 3: current def5678 in green slot, healthy, active")
        .contains("  v5 ci@togather: rollback production to def5678 (0a1b2c3 unhealthy)")
        .contains("  v2 ci@togather: deploy abc1234")
        .doesNotContain("  v1 ");

    Path file = tmp.resolve("deployment-state.json");
    try (State s = State.open(file.toString())) {
      assertThat(s.getResource("deployment:current").orElseThrow().data()).containsEntry("version", "def5678");
      assertThat(s.getResource("deployment:previous").orElseThrow().data()).containsEntry("version", "abc1234");
      assertThat(s.history()).hasSize(TogatherDeployments.RETENTION);
      assertThat(s.history()).extracting(VersionInfo::serial).containsExactly(5L, 4L, 3L, 2L);
    }
    // the lock was released: its file stays as the released record that carries its token on
    assertThat(tmp.resolve("locks/deploy-production.lock")).content().contains("\"released\": true");

    // Run again on the same directory: the state and the lock carry on.
    String again = QuickStartTest.capture(() -> TogatherDeployments.main(new String[] {tmp.toString()}));
    assertThat(again).contains("took over the stale lock").contains("rolled back to version 8:");
  }
}
