package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.CorruptStateException;
import io.infrastate.Infrastate;
import io.infrastate.State;
import io.infrastate.StateStore;
import io.infrastate.model.UnknownBackendException;
import io.infrastate.testkit.WorkspaceContract;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workspaces of a file state: the contract, and the layout on disk. */
class FileWorkspaceTest extends WorkspaceContract {
  @TempDir Path dir;

  @Override
  protected String newHome() {
    return dir.resolve("state.json").toString();
  }

  @Test
  void workspaceNameIsADirectoryUnderTheStateFilesDotD() throws Exception {
    StateStore staging = store.createWorkspace("staging", AuditEntry.of(""));
    assertThat(dir.resolve("state.json.d/staging/state.json")).isRegularFile();
    try (var locks = staging.locks()) {
      locks.acquire("deploy", io.infrastate.lock.LockRequest.of("x"), java.time.Duration.ZERO).close();
    }
    assertThat(dir.resolve("state.json.d/staging/state.json.locks")).isDirectory();
    assertThat(staging.location()).endsWith("/state.json.d/staging/state.json");
    store.deleteWorkspace("staging", false, AuditEntry.of(""));
    try (var files = Files.list(dir.resolve("state.json.d"))) {
      assertThat(files).as("the deleted directory and its locks are gone").isEmpty();
    }
  }

  @Test
  void aWorkspaceKeepsTheUrisParameters() throws Exception {
    try (StateStore journal = Infrastate.at(dir.resolve("j.json").toUri() + "?journal=true")) {
      StateStore ws = journal.createWorkspace("uat", AuditEntry.of(""));
      try (State s = ws.open()) {
        s.addHost(io.infrastate.model.HostState.builder("web01").build());
      }
      assertThat(dir.resolve("j.json.d/uat/j.json.journal")).isRegularFile();
    }
  }

  @Test
  void aLinkedWorkspaceDirectoryIsRefused() throws Exception {
    Path outside = Files.createDirectory(dir.resolve("outside"));
    Files.createSymbolicLink(dir.resolve("state.json.d"), outside);
    assertThatThrownBy(() -> store.workspaces()).isInstanceOf(CorruptStateException.class)
        .hasMessageContaining("state.json.d");
  }

  @Test
  void aBadParameterIsRefusedWhenTheUriIsResolved() {
    assertThatThrownBy(() -> Infrastate.at(dir.resolve("x.json").toUri() + "?journal=maybe"))
        .isInstanceOf(UnknownBackendException.class).hasMessageContaining("journal must be true or false");
    assertThatThrownBy(() -> Infrastate.at("nosuch://x/y")).isInstanceOf(UnknownBackendException.class)
        .hasMessageContaining("No backend for URI scheme 'nosuch'");
  }

  @Test
  void aDamagedWorkspaceIsDeletedOnlyWhenForced() throws Exception {
    store.createWorkspace("broken", AuditEntry.of(""));
    Files.writeString(dir.resolve("state.json.d/broken/state.json"), "{not json");
    assertThatThrownBy(() -> store.deleteWorkspace("broken", false, AuditEntry.of("")))
        .isInstanceOf(CorruptStateException.class);
    assertThat(store.workspaces()).contains("broken");
    store.deleteWorkspace("broken", true, AuditEntry.of(""));
    assertThat(store.workspaces()).containsExactly("default");
    try (State def = store.open()) {
      assertThat(def.history().get(0).operation()).isEqualTo("delete workspace broken (unreadable: CorruptStateException)");
    }
  }
}
