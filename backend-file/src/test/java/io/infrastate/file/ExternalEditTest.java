package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditException;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.model.StateDiff;
import io.infrastate.model.VersionInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A state file written by another tool (the GARZA OS seed's {@code jq … > tmp && mv tmp
 * state.json}, a Go-FTL2 program that drops serial and lineage) is never absorbed silently: it
 * becomes a version of its own, attributed to "external", or, under {@code external=refuse},
 * stops writes until it is accepted. Uses the real {@code jq}. Runs in both modes: in journal
 * mode, {@code state.json} is the base the journal continues, and an edit of it from outside
 * replaces the latest version, journal included.
 */
class ExternalEditTest {
  @TempDir Path tmp;

  /** The backend under test. */
  private static FileBackend open(FileMode mode, Path file, ExternalEditPolicy policy) {
    return mode.builder(file).externalEdits(policy).build();
  }

  private static FileBackend open(FileMode mode, Path file) {
    return open(mode, file, ExternalEditPolicy.RECORD);
  }

  /**
   * Makes {@code state.json} hold the latest version, as a tool that reads it expects: in journal
   * mode, folds the journal in, as one does before handing the file to another tool.
   */
  private static void settle(FileMode mode, Path file) {
    if (mode.journal) {
      try (FileBackend b = open(mode, file)) {
        b.compact();
      }
    }
  }

  /** The URI query that selects the mode, with a trailing separator. */
  private static String modeQuery(FileMode mode) {
    return mode.journal ? "?journal=true&" : "?";
  }

  /**
   * The kept file that restores version 2 of {@link #twoVersions} when copied over the state file
   * (in journal mode, after {@link #settle}, version 2 is the base).
   */
  private static Path restoresVersionTwo(Path history) {
    return history.resolve(HistoryFiles.baseName(2) + ".json");
  }

  static void assumeJq() {
    assumeTrue(Shell.onPath("jq"), "jq is not installed (apt-get install jq; .ci/run installs it): the jq workflow is not tested here");
  }

  /** The seed's workflow: {@code jq FILTER state.json > tmp && mv tmp state.json}. */
  static void jq(Path file, String filter) throws Exception {
    Shell.run(file.getParent(), "jq '" + filter + "' " + file.getFileName() + " > tmp && mv tmp " + file.getFileName());
  }

  private static HostState host(String name, String address) {
    return HostState.builder(name).address(address).port(22).user("admin").build();
  }

  /** Two versions written by infrastate: web01, then web02. */
  private Path twoVersions(FileMode mode) {
    Path file = tmp.resolve("state.json");
    try (FileBackend b = open(mode, file); State s = State.load(b)) {
      s.addHost(host("web01", "10.0.0.1"));
      s.addHost(host("web02", "10.0.0.2"));
    }
    settle(mode, file);
    return file;
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void aJqEditIsItsOwnVersionBeforeTheNextChange(FileMode mode) throws Exception {
    assumeJq();
    Path file = twoVersions(mode);
    jq(file, ".hosts[\"web01\"].address = \"10.9.9.9\"");
    try (FileBackend b = open(mode, file); State s = State.load(b)) {
      // the read sees the edit, as the next version, and writes nothing
      assertThat(s.getHost("web01").orElseThrow().address()).isEqualTo("10.9.9.9");
      assertThat(s.metadata().serial()).isEqualTo(3);
      s.addHost(host("web03", "10.0.0.3"));

      List<VersionInfo> history = s.history(10);
      assertThat(history).extracting(VersionInfo::serial).containsExactly(4L, 3L, 2L, 1L);
      VersionInfo edit = history.get(1);
      assertThat(edit.operator()).isEqualTo(ExternalEdit.OPERATOR);
      assertThat(edit.operation()).isEqualTo(ExternalEdit.OPERATION);
      assertThat(edit.reason()).contains("after version 2").contains("1 host changed").contains("~ host web01: address");
      assertThat(history.get(0).operation()).isEqualTo("add host web03");
      assertThat(history.get(0).operator()).isNotEqualTo(ExternalEdit.OPERATOR);

      // each version has its own diff: the edit in 2 -> 3, the change in 3 -> 4
      Snapshot v2 = s.at(2).orElseThrow();
      Snapshot v3 = s.at(3).orElseThrow();
      Snapshot v4 = s.at(4).orElseThrow();
      assertThat(v2.getHost("web01").orElseThrow().address()).isEqualTo("10.0.0.1");
      StateDiff d23 = StateDiff.between(v2, v3);
      assertThat(d23.hosts(StateDiff.Kind.CHANGED)).containsExactly("web01");
      assertThat(d23.entries()).hasSize(1);
      StateDiff d34 = StateDiff.between(v3, v4);
      assertThat(d34.hosts(StateDiff.Kind.ADDED)).containsExactly("web03");
      assertThat(d34.entries()).hasSize(1);
      assertThat(v3.metadata().lineage()).isEqualTo(v2.metadata().lineage()).isEqualTo(v4.metadata().lineage());
    }
    // the state file is infrastate's again: no pending edit
    try (FileBackend b = open(mode, file)) {
      assertThat(b.externalEdit()).isEmpty();
      assertThat(b.load().orElseThrow().snapshot().metadata().serial()).isEqualTo(4);
    }
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void aHandleOpenedBeforeTheEditRecordsItToo(FileMode mode) throws Exception {
    assumeJq();
    Path file = tmp.resolve("state.json");
    try (FileBackend b = open(mode, file); State s = State.load(b)) {
      s.addHost(host("web01", "10.0.0.1"));
      s.addHost(host("web02", "10.0.0.2"));
      settle(mode, file);
      jq(file, ".hosts[\"web02\"].port = 2222");
      s.addHost(host("web03", "10.0.0.3"));
      assertThat(s.history(10)).extracting(VersionInfo::operator).first().isNotEqualTo(ExternalEdit.OPERATOR);
      assertThat(s.history(10).get(1).operation()).isEqualTo(ExternalEdit.OPERATION);
      assertThat(s.getHost("web02").orElseThrow().port()).isEqualTo(2222);
      assertThat(s.at(2).orElseThrow().getHost("web02").orElseThrow().port()).isEqualTo(22);
      assertThat(s.at(3).orElseThrow().getHost("web02").orElseThrow().port()).isEqualTo(2222);
      assertThat(s.at(3).orElseThrow().hasHost("web03")).isFalse();
    }
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void aFileWithoutSerialAndLineageContinuesTheLineageAndKeepsTheHistory(FileMode mode) throws Exception {
    assumeJq();
    Path file = twoVersions(mode);
    String lineage;
    try (FileBackend b = open(mode, file)) {
      lineage = b.load().orElseThrow().snapshot().metadata().lineage();
    }
    // what Go-FTL2's writer leaves: the data, without serial and lineage
    jq(file, "del(.metadata.serial, .metadata.lineage) | .hosts[\"go01\"] = {\"name\":\"go01\",\"address\":\"10.1.1.1\","
        + "\"port\":22,\"user\":\"root\",\"created_at\":\"2024-01-15T10:30:00Z\",\"updated_at\":\"2024-01-15T10:30:00Z\"}");
    try (FileBackend b = open(mode, file); State s = State.load(b)) {
      ExternalEdit edit = b.externalEdit().orElseThrow();
      assertThat(edit.replacedSerial()).isEqualTo(2);
      assertThat(edit.lineage()).isEqualTo(lineage);
      assertThat(edit.notes()).anyMatch(n -> n.contains("no serial and lineage"));
      assertThat(edit.diff().orElseThrow().hosts(StateDiff.Kind.ADDED)).containsExactly("go01");
      assertThat(s.metadata().lineage()).isEqualTo(lineage);
      s.addHost(host("web03", "10.0.0.3"));
      assertThat(s.metadata().serial()).isEqualTo(4);
      assertThat(s.metadata().lineage()).isEqualTo(lineage);
      assertThat(s.history(10)).extracting(VersionInfo::serial).containsExactly(4L, 3L, 2L, 1L);
      assertThat(s.history(10).get(1).operator()).isEqualTo(ExternalEdit.OPERATOR);
      assertThat(s.at(1).orElseThrow().metadata().lineage()).isEqualTo(lineage);
      assertThat(s.at(3).orElseThrow().hasHost("go01")).isTrue();
      assertThat(s.at(3).orElseThrow().metadata().lineage()).isEqualTo(lineage);
    }
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void withoutAHistoryAFileWithoutLineageStillContinuesTheLineage(FileMode mode) throws Exception {
    assumeJq();
    Path file = tmp.resolve("state.json");
    String uri = file.toUri() + modeQuery(mode) + "history=0";
    String lineage;
    try (State s = State.open(uri)) {
      s.addHost(host("web01", "10.0.0.1"));
      s.addHost(host("web02", "10.0.0.2"));
      lineage = s.metadata().lineage();
    }
    jq(file, "del(.metadata.serial, .metadata.lineage)");
    try (State s = State.open(uri)) {
      assertThat(s.metadata().lineage()).isEqualTo(lineage);
      assertThat(s.metadata().serial()).isEqualTo(3);
      s.addHost(host("web03", "10.0.0.3"));
      assertThat(s.metadata().serial()).isEqualTo(4);
      assertThat(s.metadata().lineage()).isEqualTo(lineage);
    }
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void readsSeeTheEditFlaggedAndWriteNothing(FileMode mode) throws Exception {
    assumeJq();
    Path file = twoVersions(mode);
    jq(file, ".hosts[\"web01\"].user = \"ops\"");
    Map<String, String> before = listing(tmp);
    try (FileBackend b = open(mode, file); State s = State.load(b)) {
      assertThat(s.getHost("web01").orElseThrow().user()).isEqualTo("ops");
      assertThat(b.externalEdit()).isPresent();
      assertThat(b.externalEdit().orElseThrow().description()).contains("~ host web01: user").doesNotContain("ops");
      s.refresh();
      assertThat(s.history(10)).hasSize(2);
    }
    assertThat(listing(tmp)).isEqualTo(before);
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void theSameBytesWithAnotherInodeOrTimeAreNoEdit(FileMode mode) throws Exception {
    Path file = twoVersions(mode);
    Path copy = tmp.resolve("copy");
    Files.copy(file, copy);
    Files.move(copy, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    Files.setLastModifiedTime(file, FileTime.fromMillis(0));
    try (FileBackend b = open(mode, file); State s = State.load(b)) {
      assertThat(b.externalEdit()).isEmpty();
      assertThat(s.metadata().serial()).isEqualTo(2);
      s.addHost(host("web03", "10.0.0.3"));
      assertThat(s.history(10)).extracting(VersionInfo::serial).containsExactly(3L, 2L, 1L);
    }
  }

  /**
   * A load hashes state.json when its stamp is not the one recorded at the last write, to tell an
   * edit from the same bytes; a file renamed over it meanwhile (by a compaction, a writer, or here
   * a tool copying the same bytes back) makes the load read again, never fail. The tool renames as
   * often as a compaction can: once per load, at whatever point the next load has reached. (A tool
   * that renames flat out without the lock can outlast the load's bounded retries; that load then
   * fails with a typed error, which is right for a process that ignores the lock.) Default options.
   */
  @ParameterizedTest
  @EnumSource(FileMode.class)
  void loadsNeverFailWhileTheSameBytesAreRenamedOverStateJson(FileMode mode) throws Exception {
    Path file = twoVersions(mode);
    byte[] bytes = Files.readAllBytes(file);
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<Throwable> copierFailure = new AtomicReference<>();
    Semaphore turns = new Semaphore(0);
    Thread copier = new Thread(() -> {
      try {
        for (int i = 0; !done.get(); i++) {
          if (!turns.tryAcquire(10, TimeUnit.MILLISECONDS)) {
            continue;
          }
          turns.drainPermits(); // never more than one rename between two loads' ends
          Path copy = Files.write(tmp.resolve("copy-" + i), bytes);
          Files.move(copy, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
      } catch (Throwable t) {
        copierFailure.set(t);
      }
    });
    int loads = 500;
    int failed = 0;
    Throwable first = null;
    copier.start();
    try (FileBackend b = open(mode, file)) {
      for (int i = 0; i < loads; i++) {
        try {
          assertThat(b.load().orElseThrow().snapshot().metadata().serial()).isEqualTo(2);
        } catch (RuntimeException | AssertionError e) {
          failed++;
          first = first == null ? e : first;
        }
        turns.release();
      }
    } finally {
      done.set(true);
      copier.join();
    }
    assertThat(copierFailure.get()).isNull();
    assertThat(failed).as("loads failed: %d of %d; the first: %s", failed, loads, first).isZero();
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void anEditThatDamagesTheFileStillStopsEverything(FileMode mode) throws Exception {
    Path file = twoVersions(mode);
    Shell.run(tmp, "head -c 40 state.json > tmp && mv tmp state.json");
    byte[] damaged = Files.readAllBytes(file);
    try (FileBackend b = open(mode, file)) {
      assertThatThrownBy(b::load).isInstanceOf(CorruptStateException.class).hasMessageContaining(file.toString());
      assertThatThrownBy(b::externalEdit).isInstanceOf(CorruptStateException.class);
      assertThatThrownBy(() -> b.acceptExternalEdit(AuditEntry.DEFAULT)).isInstanceOf(CorruptStateException.class);
    }
    assertThat(Files.readAllBytes(file)).isEqualTo(damaged);
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void refuseStopsWritesWithTheDiffUntilTheEditIsAccepted(FileMode mode) throws Exception {
    assumeJq();
    Path file = twoVersions(mode);
    jq(file, ".hosts[\"web01\"].address = \"10.9.9.9\" | del(.hosts[\"web02\"])");
    byte[] edited = Files.readAllBytes(file);
    try (FileBackend b = open(mode, file, ExternalEditPolicy.REFUSE); State s = State.load(b)) {
      assertThat(b.externalEditPolicy()).isEqualTo(ExternalEditPolicy.REFUSE);
      assertThatThrownBy(() -> s.addHost(host("web03", "10.0.0.3")))
          .isInstanceOf(ExternalEditException.class)
          .hasMessageContaining("~ host web01: address")
          .hasMessageContaining("- host web02")
          .hasMessageContaining("accept-external")
          .hasMessageContaining("cp " + restoresVersionTwo(b.historyPath()))
          .satisfies(e -> assertThat(((ExternalEditException) e).edit().orElseThrow().replacedSerial()).isEqualTo(2));
      assertThat(Files.readAllBytes(file)).isEqualTo(edited);
      assertThat(s.history(10)).hasSize(2);

      VersionInfo accepted = b.acceptExternalEdit(new AuditEntry("alice@ops", "", "reviewed")).orElseThrow();
      assertThat(accepted.serial()).isEqualTo(3);
      assertThat(accepted.operator()).isEqualTo(ExternalEdit.OPERATOR);
      assertThat(accepted.reason()).startsWith("accepted by alice@ops (reviewed): ");
      assertThat(b.acceptExternalEdit(AuditEntry.DEFAULT)).isEmpty();

      s.addHost(host("web03", "10.0.0.3"));
      assertThat(s.history(10)).extracting(VersionInfo::serial).containsExactly(4L, 3L, 2L, 1L);
      assertThat(s.at(3).orElseThrow().hasHost("web02")).isFalse();
      assertThat(s.history(10).get(1).reason()).contains("accepted by alice@ops");
    }
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void refusingTheEditThenRestoringTheReplacedVersionLetsWritesGoOn(FileMode mode) throws Exception {
    assumeJq();
    Path file = twoVersions(mode);
    jq(file, ".hosts[\"web01\"].address = \"10.9.9.9\"");
    try (FileBackend b = open(mode, file, ExternalEditPolicy.REFUSE)) {
      try (State s = State.load(b)) {
        assertThatThrownBy(() -> s.addHost(host("web03", "10.0.0.3"))).isInstanceOf(ExternalEditException.class);
      }
      Files.copy(restoresVersionTwo(b.historyPath()), file, StandardCopyOption.REPLACE_EXISTING);
      try (State s = State.load(b)) {
        s.addHost(host("web03", "10.0.0.3"));
        assertThat(s.getHost("web01").orElseThrow().address()).isEqualTo("10.0.0.1");
        assertThat(s.history(10)).extracting(VersionInfo::serial).containsExactly(3L, 2L, 1L);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void theRefusePolicyIsAUriOption(FileMode mode) throws Exception {
    assumeJq();
    Path file = twoVersions(mode);
    jq(file, ".hosts[\"web01\"].address = \"10.9.9.9\"");
    try (State s = State.open(file.toUri() + modeQuery(mode) + "external=refuse")) {
      assertThatThrownBy(() -> s.addHost(host("web03", "10.0.0.3"))).isInstanceOf(ExternalEditException.class);
    }
    try (State s = State.open(file.toUri() + modeQuery(mode) + "external=record")) {
      s.addHost(host("web03", "10.0.0.3"));
      assertThat(s.metadata().serial()).isEqualTo(4);
    }
    assertThatThrownBy(() -> State.open(file.toUri() + modeQuery(mode) + "external=ignore"))
        .isInstanceOf(io.infrastate.model.UnknownBackendException.class)
        .hasMessageContaining("external must be record or refuse");
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void anEditMadeAgainBetweenLoadAndWriteIsNotLost(FileMode mode) throws Exception {
    assumeJq();
    Path file = twoVersions(mode);
    jq(file, ".hosts[\"web01\"].address = \"10.9.9.9\"");
    try (FileBackend b = open(mode, file); State s = State.load(b)) {
      assertThat(s.metadata().serial()).isEqualTo(3);
      jq(file, ".hosts[\"web02\"].address = \"10.8.8.8\"");
      s.addHost(host("web03", "10.0.0.3"));
      Snapshot v3 = s.at(3).orElseThrow();
      assertThat(v3.getHost("web01").orElseThrow().address()).isEqualTo("10.9.9.9");
      assertThat(v3.getHost("web02").orElseThrow().address()).isEqualTo("10.8.8.8");
      assertThat(s.getHost("web02").orElseThrow().address()).isEqualTo("10.8.8.8");
      assertThat(s.metadata().serial()).isEqualTo(4);
    }
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void aWriterThatReadAnOlderVersionIsReportedAsALostUpdate(FileMode mode) throws Exception {
    assumeJq();
    Path file = twoVersions(mode);
    Path stale = tmp.resolve("read-by-go.json");
    try (FileBackend b = open(mode, file); State s = State.load(b)) {
      // what a writer without compare-and-swap read: version 2
      Files.write(stale, io.infrastate.codec.StateCodec.encode(s.snapshot()));
      s.addHost(host("web03", "10.0.0.3")); // version 3, which that writer never sees
    }
    // it adds its host to what it read and writes the file back, without serial and lineage
    Shell.run(tmp, "jq 'del(.metadata.serial, .metadata.lineage) | .hosts[\"go01\"] = .hosts[\"web01\"] "
        + "| .hosts[\"go01\"].name = \"go01\"' read-by-go.json > tmp && mv tmp state.json");
    try (FileBackend b = open(mode, file); State s = State.load(b)) {
      ExternalEdit edit = b.externalEdit().orElseThrow();
      assertThat(edit.replacedSerial()).isEqualTo(3);
      assertThat(edit.lostUpdates()).singleElement().asString().contains("host web03").contains("after version 2");
      s.addHost(host("web04", "10.0.0.4"));
      VersionInfo recorded = s.history(10).get(1);
      assertThat(recorded.serial()).isEqualTo(4);
      assertThat(recorded.reason()).contains("lost update").contains("host web03");
      // nothing is lost for good: version 3 is kept
      assertThat(s.at(3).orElseThrow().hasHost("web03")).isTrue();
    }
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void aDeliberateEditOnTheLatestVersionIsNoLostUpdate(FileMode mode) throws Exception {
    assumeJq();
    Path file = twoVersions(mode);
    jq(file, ".hosts[\"web01\"].address = \"10.9.9.9\"");
    try (FileBackend b = open(mode, file)) {
      assertThat(b.externalEdit().orElseThrow().lostUpdates()).isEmpty();
    }
  }

  @Test
  void aToolThatEditsTheBaseWhileTheJournalHoldsLaterVersionsIsReportedAsALostUpdate() throws Exception {
    assumeJq();
    FileMode mode = FileMode.JOURNAL;
    Path file = tmp.resolve("state.json");
    try (FileBackend b = open(mode, file); State s = State.load(b)) {
      s.addHost(HostState.builder("web01").address("10.0.0.1").build()); // 1: the base
      s.addHost(HostState.builder("web02").address("10.0.0.2").build()); // 2: in the journal
    }
    jq(file, ".hosts[\"web01\"].address = \"10.9.9.9\"");
    try (FileBackend b = open(mode, file); State s = State.load(b)) {
      ExternalEdit edit = b.externalEdit().orElseThrow();
      assertThat(edit.replacedSerial()).isEqualTo(2);
      assertThat(edit.lostUpdates()).singleElement().asString().contains("host web02").contains("after version 1");
      s.addHost(HostState.builder("web03").address("10.0.0.3").build());
      assertThat(s.history(10)).extracting(VersionInfo::serial).containsExactly(4L, 3L, 2L, 1L);
      assertThat(s.history(10).get(1).operator()).isEqualTo(ExternalEdit.OPERATOR);
      assertThat(s.at(2).orElseThrow().hasHost("web02")).isTrue();
      assertThat(s.at(3).orElseThrow().getHost("web01").orElseThrow().address()).isEqualTo("10.9.9.9");
    }
    try (FileBackend b = open(mode, file)) {
      assertThat(b.externalEdit()).isEmpty();
      assertThat(b.load().orElseThrow().snapshot().metadata().serial()).isEqualTo(4);
    }
  }

  private static Map<String, String> listing(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(p)) {
          out.put(dir.relativize(p).toString(), Files.getLastModifiedTime(p) + " " + Files.size(p) + " "
              + new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).hashCode());
        }
      }
    }
    return out;
  }
}
