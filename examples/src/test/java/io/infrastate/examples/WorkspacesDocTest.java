package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.Infrastate;
import io.infrastate.State;
import io.infrastate.StateStore;
import io.infrastate.model.VersionInfo;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockProvider;
import io.infrastate.lock.LockRequest;
import io.infrastate.testkit.DocBlocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the Java example of docs/workspaces.md: it is this test's code. */
class WorkspacesDocTest {
  private static final Path DOC = Processes.REPO.resolve("docs/workspaces.md");
  private static final String TEST_ONLY = "// test only";

  @TempDir Path tmp;

  @Test
  void theJavaExampleIsThisTestsCodeAndRuns() throws Exception {
    String doc = DocBlocks.code(Files.readString(DOC), "workspaces-java");
    String mine = DocBlocks.example(Path.of("src/test/java/io/infrastate/examples/WorkspacesDocTest.java"));
    assertThat(DocBlocks.normalize(mine, TEST_ONLY)).isEqualTo(DocBlocks.normalize(doc, TEST_ONLY));

    String uri = tmp.resolve("state.json").toString();
    List<String> listed = new ArrayList<>();
    // example:start
    try (StateStore home = Infrastate.at(uri)) {
      StateStore staging = home.createWorkspace("staging", AuditEntry.of(""));
      try (State state = staging.open(); LockProvider locks = staging.locks()) {
        try (Lock lock = locks.acquire("deploy", LockRequest.of("deploy api"), Duration.ofSeconds(10))) {
          state.update(lock, AuditEntry.of("deploy api"), tx -> tx.addHost(HostState.builder("api01").build()));
        }
        assertThat(state.hasHost("api01")).isTrue(); // test only
      }
      System.out.println(home.workspaces());              // [default, staging]
      listed.addAll(home.workspaces()); // test only
      home.deleteWorkspace("staging", true, new AuditEntry("alice", "", "staging retired"));
    }
    // example:end
    assertThat(listed).containsExactly("default", "staging");
    try (StateStore home = Infrastate.at(uri); State def = home.open()) {
      assertThat(home.workspaces()).containsExactly("default");
      VersionInfo record = def.history().get(0);
      assertThat(record.operation()).startsWith("delete workspace staging (serial 2,").endsWith("1 host(s), 0 resource(s))");
      assertThat(record.operator()).isEqualTo("alice");
      assertThat(record.reason()).isEqualTo("staging retired");
    }
  }
}
