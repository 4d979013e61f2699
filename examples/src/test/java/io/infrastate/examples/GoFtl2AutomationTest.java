package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.State;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seed 001: runs {@link GoFtl2Automation#main} and checks what it printed and stored. */
class GoFtl2AutomationTest {
  @TempDir Path tmp;

  @Test
  void aFailedRunLeavesItsHostsForTheNextRunsInventory() {
    Path file = tmp.resolve("go-ftl2-state.json");
    String out = QuickStartTest.capture(() -> GoFtl2Automation.main(new String[] {file.toString()}));
    assertThat(out)
        .contains("run 1: added web01 (state serial 1)")
        .contains("run 1: added web02 (state serial 2)")
        .contains("run 1 failed: provider timeout while creating db01")
        .contains("run 2 starts with webservers [web01, web02]")
        .contains("run 2: added db01 (state serial 3)")
        .contains("    webservers:\n      hosts:\n        web01:\n          ansible_host: 10.0.1.11\n")
        .contains("    databases:\n      hosts:\n        db01:\n")
        .contains("          postgres_version: '15'\n");
    try (State s = State.open(file.toString())) {
      assertThat(s.allHosts()).extracting(HostState::name).containsExactly("db01", "web01", "web02");
      assertThat(s.getHostsByGroup("webservers")).hasSize(2);
      assertThat(s.getHost("db01").orElseThrow().vars()).containsEntry("postgres_version", "15");
    }
  }
}
