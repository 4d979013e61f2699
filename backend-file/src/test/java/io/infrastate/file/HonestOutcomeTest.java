package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.spi.Backend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An error is the truth, in both file modes: a write that reports a failure is not stored, and one
 * that reports success is, whether the fault comes before the step that publishes (the rename, the
 * journal record), after it, or from a full disk.
 */
class HonestOutcomeTest {
  @TempDir Path tmp;

  private static void inject(Backend backend, SaveFaults faults) {
    ((FileBackend) backend).faults(faults);
  }

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.1").port(22).user("admin").build();
  }

  private static SaveFaults failAt(SaveFaults.Step step) {
    return s -> {
      if (s == step) {
        throw new IOException("injected fault at " + s);
      }
    };
  }

  /** What a fresh backend (as another process would) loads: the host names and the serial. */
  private static List<String> storedHosts(FileMode mode, Path file) {
    try (Backend b = mode.openInline(file); State s = State.load(b)) {
      return s.allHosts().stream().map(HostState::name).toList();
    }
  }

  private static List<Path> temporaryFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
    }
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void aWriteThatFailsBeforePublishingIsNotStoredAndLeavesNoTemporaryFiles(FileMode mode) throws Exception {
    Path file = tmp.resolve("state.json");
    try (Backend backend = mode.openInline(file); State state = State.load(backend)) {
      inject(backend, failAt(SaveFaults.Step.BEFORE_PUBLISH));
      assertThatThrownBy(() -> state.addHost(host("web00")))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("injected fault")
          .hasMessageContaining("the stored state was not changed");
      assertThat(Files.exists(file)).as("a state whose creation failed").isFalse();
      inject(backend, SaveFaults.NONE);
      state.addHost(host("web01"));
      inject(backend, failAt(SaveFaults.Step.BEFORE_PUBLISH));
      assertThatThrownBy(() -> state.addHost(host("web02"))).isInstanceOf(BackendException.class);
      assertThat(state.hasHost("web02")).isFalse();
      assertThat(storedHosts(mode, file)).containsExactly("web01");
      assertThat(temporaryFiles(tmp)).isEmpty();
      inject(backend, SaveFaults.NONE);
      state.addHost(host("web03"));
      assertThat(state.metadata().serial()).isEqualTo(2);
    }
    assertThat(storedHosts(mode, file)).containsExactly("web01", "web03");
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void aWriteThatFailsAfterPublishingIsASuccessAndStored(FileMode mode) throws Exception {
    Path file = tmp.resolve("state.json");
    try (Backend backend = mode.openInline(file); State state = State.load(backend)) {
      inject(backend, failAt(SaveFaults.Step.AFTER_PUBLISH));
      state.addHost(host("web01")); // creates the state
      state.addHost(host("web02"));
      assertThat(storedHosts(mode, file)).containsExactly("web01", "web02");
      inject(backend, SaveFaults.NONE);
      state.addHost(host("web03"));
      assertThat(state.metadata().serial()).isEqualTo(3);
    }
    try (Backend b = mode.openInline(file); State s = State.load(b)) {
      assertThat(s.allHosts()).extracting(HostState::name).containsExactly("web01", "web02", "web03");
      assertThat(s.metadata().serial()).isEqualTo(3);
      s.addHost(host("web04"));
    }
    assertThat(storedHosts(mode, file)).hasSize(4);
  }

  /**
   * A history that cannot be written (here its directory's name is taken by a file) fails the
   * write before the rename: the caller's error is the truth and the state is unchanged.
   */
  @Test
  void aHistoryThatCannotBeWrittenFailsTheWriteWithoutStoringIt() throws Exception {
    Path file = tmp.resolve("state.json");
    try (FileBackend backend = FileBackend.at(file); State state = State.load(backend)) {
      state.addHost(host("web01"));
      Path history = backend.historyPath();
      try (Stream<Path> entries = Files.list(history)) {
        for (Path p : entries.toList()) {
          Files.delete(p);
        }
      }
      Files.delete(history);
      Files.writeString(history, "in the way");
      // refused before anything is written: the history's place is checked before the write starts
      assertThatThrownBy(() -> state.addHost(host("web02")))
          .isInstanceOf(CorruptStateException.class)
          .hasMessageContaining(history.toString())
          .hasMessageContaining("Nothing was written");
      assertThat(storedHosts(FileMode.FILE, file)).containsExactly("web01");
      Files.delete(history);
      state.addHost(host("web02"));
    }
    assertThat(storedHosts(FileMode.FILE, file)).containsExactly("web01", "web02");
  }

  /**
   * A full disk (a small tmpfs): writes fail with "No space left on device" at some point, and
   * after them, every write that reported success is stored and none that reported failure is.
   */
  @ParameterizedTest
  @EnumSource(FileMode.class)
  void onAFullDiskEveryReportedFailureIsAbsentAndEverySuccessStored(FileMode mode) throws Exception {
    Path mount = mountSmallTmpfs();
    try {
      Path file = mount.resolve("state.json");
      String pad = "x".repeat(3000);
      List<String> succeeded = new ArrayList<>();
      List<String> failed = new ArrayList<>();
      try (Backend backend = mode.openInline(file); State state = State.load(backend)) {
        for (int i = 0; i < 1000 && failed.size() < 12; i++) {
          String name = String.format("h%04d", i);
          try {
            state.addHost(HostState.builder(name).address("10.0.0.1").var("pad", pad).build());
            succeeded.add(name);
          } catch (BackendException e) {
            assertThat(e).hasMessageContaining("No space left on device");
            failed.add(name);
            assertThat(state.hasHost(name)).isFalse();
          }
        }
      }
      assertThat(failed).as("writes that hit the full disk").isNotEmpty();
      assertThat(succeeded).isNotEmpty();
      List<String> stored = storedHosts(mode, file);
      assertThat(stored).containsExactlyInAnyOrderElementsOf(succeeded);
      assertThat(stored).doesNotContainAnyElementsOf(failed);
    } finally {
      unmount(mount);
    }
  }

  /**
   * The journal's worst moment on a full disk: a record that fits in the zeros kept ahead but
   * leaves fewer than a frame header of them, so that fresh zeros must follow it. The zeros are
   * written first; they fail, and the record, never written, is not stored.
   */
  @Test
  void onAFullDiskAJournalRecordThatNeedsFreshZerosIsNotStored() throws Exception {
    Path mount = mountSmallTmpfs();
    try {
      Path file = mount.resolve("state.json");
      Path journal = mount.resolve("state.json.journal");
      StateOptions options = StateOptions.builder()
          .clock(Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC))
          .operator("tester@ci")
          .build();
      try (FileBackend backend = FileBackend.builder(file).journal(true).backgroundCompaction(false).build();
          State state = State.load(backend, options)) {
        state.addHost(padded("h1", 0));
        long before = recordsEnd(journal);
        state.addHost(padded("h2", 100));
        long overhead = recordsEnd(journal) - before - 100; // a record's bytes besides the pad
        // Fill the disk, then ask for a record that leaves 4 bytes of the zeros kept ahead.
        try (FileChannel ballast = FileChannel.open(mount.resolve("ballast"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          ByteBuffer page = ByteBuffer.allocate(4096);
          while (true) {
            page.clear();
            ballast.write(page);
          }
        } catch (IOException full) {
          assertThat(full).hasMessageContaining("No space left on device");
        }
        long zeros = Files.size(journal) - recordsEnd(journal);
        int pad = Math.toIntExact(zeros - 4 - overhead);
        assertThat(pad).isPositive();
        assertThatThrownBy(() -> state.addHost(padded("h3", pad)))
            .isInstanceOf(BackendException.class)
            .hasMessageContaining("No space left on device");
        assertThat(storedHosts(FileMode.JOURNAL, file)).containsExactly("h1", "h2");
        Files.delete(mount.resolve("ballast"));
        state.addHost(padded("h3", pad));
      }
      assertThat(storedHosts(FileMode.JOURNAL, file)).containsExactly("h1", "h2", "h3");
    } finally {
      unmount(mount);
    }
  }

  private static HostState padded(String name, int pad) {
    return HostState.builder(name).address("10.0.0.1").var("pad", "x".repeat(pad)).build();
  }

  /** Where the journal's records end: after its last non-zero byte. */
  private static long recordsEnd(Path journal) throws IOException {
    byte[] bytes = Files.readAllBytes(journal);
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] == 0) {
      end--;
    }
    return end;
  }

  private Path mountSmallTmpfs() throws Exception {
    assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"),
        "needs Linux to mount a small tmpfs");
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root to mount a small tmpfs");
    Path mount = Files.createDirectory(tmp.resolve("tmpfs"));
    int code = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", mount.toString())
        .inheritIO().start().waitFor();
    assumeTrue(code == 0, "mount -t tmpfs failed (exit " + code + "): no permission to mount here");
    return mount;
  }

  private static void unmount(Path mount) throws Exception {
    new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
  }
}
