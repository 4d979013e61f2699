package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.HostState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.testkit.ChildWriters;
import io.infrastate.testkit.JvmProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real separate JVMs on one state, in both modes: no lost update (in journal mode while others
 * compact), and kill -9 at random moments (inside writes and, in journal mode, inside compactions)
 * never damages the state or loses a commit a writer reported.
 */
class CrossProcessTest {
  @TempDir Path tmp;

  /**
   * Eight writer processes, fifty increments each, default options: every write succeeds, none is
   * lost, and a write that conflicted once never conflicts again (its retry holds the write lock).
   */
  @ParameterizedTest
  @EnumSource(FileMode.class)
  void eightProcessesTimesFiftyIncrementsAllSucceedWithDefaultOptions(FileMode mode) throws Exception {
    eightWriters(mode, false);
  }

  /** As above, beside a process that keeps a CPU busy (writers descheduled mid-write). */
  @ParameterizedTest
  @EnumSource(FileMode.class)
  void eightProcessesTimesFiftyIncrementsAllSucceedBesideABusyCpu(FileMode mode) throws Exception {
    eightWriters(mode, true);
  }

  private void eightWriters(FileMode mode, boolean busyCpu) throws Exception {
    Path file = tmp.resolve("state.json");
    int processes = 8;
    int increments = 50;
    ChildWriters run = ChildWriters.run(CounterWriter.class, tmp, processes, busyCpu,
        p -> new String[] {file.toString(), String.valueOf(increments), "p" + p, mode.name()});
    assertThat(run.maxAttempts()).as("attempts of the write that took most").isBetween(1, 2);
    try (FileBackend backend = mode.open(file); State state = State.load(backend)) {
      assertThat(state.getResource("counter").orElseThrow().data().get("value")).isEqualTo(processes * increments);
      assertThat(state.metadata().serial()).isEqualTo(processes * increments);
      List<VersionInfo> history = state.history();
      if (mode.journal) {
        assertThat(history.size()).isGreaterThanOrEqualTo(20);
      } else {
        assertThat(history).hasSize(20);
      }
      assertThat(history.get(0).serial()).isEqualTo(processes * increments);
      assertThat(history).allSatisfy(v -> assertThat(v.operation()).startsWith("increment by p"));
      if (mode.journal) {
        // the children compacted while others appended: state.json is a plain, recent base
        Snapshot base = StateCodec.decode(Files.readAllBytes(file), file.toString(), "");
        assertThat(base.metadata().serial()).isGreaterThanOrEqualTo(25);
        Snapshot latest = state.snapshot();
        backend.compact();
        assertThat(StateCodec.decode(Files.readAllBytes(file), file.toString(), "")).isEqualTo(latest);
      }
    }
    // after compaction the whole-file mode reads the same state
    try (FileBackend plain = FileBackend.at(file); State state = State.load(plain)) {
      assertThat(state.getResource("counter").orElseThrow().data().get("value")).isEqualTo(processes * increments);
    }
  }

  @ParameterizedTest
  @EnumSource(FileMode.class)
  void killingAWriterAtRandomMomentsNeverDamagesTheFileOrLosesACommit(FileMode mode) throws Exception {
    Path file = tmp.resolve("state.json");
    Random random = new Random(42);
    Pattern committed = Pattern.compile("committed (\\d+)");
    long lastSerial = 0;
    int kills = mode.journal ? 40 : 50;
    int strayTemps = 0;
    for (int k = 0; k < kills; k++) {
      Path log = tmp.resolve("loop-" + k + ".log");
      JvmProcess child = JvmProcess.start(LoopWriter.class, log, file.toString(), mode.name(), k % 2 == 0 ? "inline" : "background");
      // let it start writing, then kill it at a random moment
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.exists(log) || !child.output().contains("committed")) {
        if (System.nanoTime() > deadline || !child.process().isAlive()) {
          throw new AssertionError("writer never committed: " + child.output());
        }
        Thread.sleep(5);
      }
      Thread.sleep(random.nextInt(mode.journal ? 60 : 40));
      child.kill();
      strayTemps += child.output().contains("left by a writer that crashed") ? 1 : 0;
      long printed = 0;
      Matcher m = committed.matcher(child.output());
      while (m.find()) {
        printed = Long.parseLong(m.group(1));
      }
      try (FileBackend backend = mode.openInline(file); State state = State.load(backend)) {
        long serial = state.metadata().serial();
        // every commit the writer reported is stored, and the serial never goes back
        assertThat(serial).isGreaterThanOrEqualTo(printed).isGreaterThanOrEqualTo(lastSerial);
        assertThat(state.getResource("counter").orElseThrow().data().get("value")).isEqualTo((int) serial);
        // state.json itself is always a complete plain state
        StateCodec.decode(Files.readAllBytes(file), file.toString(), "");
        lastSerial = serial;
      }
    }
    assertThat(lastSerial).isGreaterThan(kills);
    System.out.println(mode + ": kills: " + kills + ", writers that found stray temps: " + strayTemps + ", last serial: " + lastSerial);
    if (mode.journal) {
      try (FileBackend backend = mode.openInline(file); State state = State.load(backend)) {
        Snapshot before = state.snapshot();
        state.addHost(HostState.builder("after-the-kills").build());
        backend.compact();
        Snapshot compacted = StateCodec.decode(Files.readAllBytes(file), file.toString(), "");
        assertThat(compacted.metadata().serial()).isEqualTo(before.metadata().serial() + 1);
        assertThat(compacted).isEqualTo(state.snapshot());
      }
    }
    try (var files = Files.list(tmp)) {
      // stray temporary files are cleaned up by the next writer: at most the last killer's remains
      assertThat(files.filter(p -> p.getFileName().toString().endsWith(".tmp")).count()).isLessThanOrEqualTo(2);
    }
  }
}
