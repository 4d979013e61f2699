package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.ExternalEdit;
import io.infrastate.ExternalEditPolicy;
import io.infrastate.HostState;
import io.infrastate.State;
import io.infrastate.VersionInfo;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@link ExternalEditTest} in journal mode: {@code state.json} is the base the journal continues,
 * and an edit of it from outside replaces the latest version, journal included.
 */
class JournalExternalEditTest extends ExternalEditTest {
  @Override
  AutoCloseableBackend open(Path file, ExternalEditPolicy policy) {
    JournalFileBackend b = JournalFileBackend.builder(file).externalEdits(policy).build();
    return new AutoCloseableBackend(b, b, b.historyPath());
  }

  /** Folds the journal into state.json, as one does before handing the file to another tool. */
  @Override
  void settle(Path file) {
    try (JournalFileBackend b = JournalFileBackend.builder(file).build()) {
      b.compact();
    }
  }

  @Override
  String modeQuery() {
    return "?journal=true&";
  }

  /** After {@link #settle}, version 2 is the base. */
  @Override
  Path restoresVersionTwo(Path history) {
    return history.resolve(HistoryFiles.baseName(2) + ".json");
  }

  @Test
  void aToolThatEditsTheBaseWhileTheJournalHoldsLaterVersionsIsReportedAsALostUpdate() throws Exception {
    assumeJq();
    Path file = tmp.resolve("state.json");
    try (JournalFileBackend b = JournalFileBackend.at(file); State s = State.load(b)) {
      s.addHost(HostState.builder("web01").address("10.0.0.1").build()); // 1: the base
      s.addHost(HostState.builder("web02").address("10.0.0.2").build()); // 2: in the journal
    }
    jq(file, ".hosts[\"web01\"].address = \"10.9.9.9\"");
    try (JournalFileBackend b = JournalFileBackend.at(file); State s = State.load(b)) {
      ExternalEdit edit = b.externalEdit().orElseThrow();
      assertThat(edit.replacedSerial()).isEqualTo(2);
      assertThat(edit.lostUpdates()).singleElement().asString().contains("host web02").contains("after version 1");
      s.addHost(HostState.builder("web03").address("10.0.0.3").build());
      assertThat(s.history(10)).extracting(VersionInfo::serial).containsExactly(4L, 3L, 2L, 1L);
      assertThat(s.history(10).get(1).operator()).isEqualTo(ExternalEdit.OPERATOR);
      assertThat(s.at(2).orElseThrow().hasHost("web02")).isTrue();
      assertThat(s.at(3).orElseThrow().getHost("web01").orElseThrow().address()).isEqualTo("10.9.9.9");
    }
    try (JournalFileBackend b = JournalFileBackend.at(file)) {
      assertThat(b.externalEdit()).isEmpty();
      assertThat(b.load().orElseThrow().snapshot().metadata().serial()).isEqualTo(4);
    }
  }
}
