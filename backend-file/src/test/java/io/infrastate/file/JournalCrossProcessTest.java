package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.Snapshot;
import io.infrastate.State;
import io.infrastate.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.testkit.ChildWriters;
import io.infrastate.testkit.JvmProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The foundation's cross-process proofs in journal mode: real separate JVMs appending to and
 * compacting one journal lose no update, and kill -9 at random moments (inside appends and inside
 * compactions) never damages the state or loses a commit a writer reported.
 */
class JournalCrossProcessTest {
  @TempDir Path tmp;

  /**
   * Eight writer processes, fifty increments each, default options, compacting while others
   * append: every write succeeds, none is lost, and a write that conflicted once never conflicts
   * again (its retry holds the write lock).
   */
  @Test
  void eightProcessesTimesFiftyIncrementsAllSucceedWithDefaultOptions() throws Exception {
    eightWriters(false);
  }

  /** As above, beside a process that keeps a CPU busy (writers descheduled mid-write). */
  @Test
  void eightProcessesTimesFiftyIncrementsAllSucceedBesideABusyCpu() throws Exception {
    eightWriters(true);
  }

  private void eightWriters(boolean busyCpu) throws Exception {
    Path file = tmp.resolve("state.json");
    int processes = 8;
    int increments = 50;
    ChildWriters run = ChildWriters.run(JournalCounterWriter.class, tmp, processes, busyCpu,
        p -> new String[] {file.toString(), String.valueOf(increments), "p" + p});
    assertThat(run.maxAttempts()).as("attempts of the write that took most").isBetween(1, 2);
    try (FileBackend backend = FileBackend.builder(file).journal(true).build(); State state = State.load(backend)) {
      assertThat(state.getResource("counter").orElseThrow().data().get("value")).isEqualTo(processes * increments);
      assertThat(state.metadata().serial()).isEqualTo(processes * increments);
      List<VersionInfo> history = state.history();
      assertThat(history.size()).isGreaterThanOrEqualTo(20);
      assertThat(history.get(0).serial()).isEqualTo(processes * increments);
      assertThat(history).allSatisfy(v -> assertThat(v.operation()).startsWith("increment by p"));
      // the children compacted while others appended: state.json is a plain, recent base
      Snapshot base = StateCodec.decode(Files.readAllBytes(file), file.toString(), "");
      assertThat(base.metadata().serial()).isGreaterThanOrEqualTo(25);
      Snapshot latest = state.snapshot();
      backend.compact();
      assertThat(StateCodec.decode(Files.readAllBytes(file), file.toString(), "")).isEqualTo(latest);
    }
    // after compaction the plain file backend reads the same state
    try (FileBackend plain = FileBackend.at(file); State state = State.load(plain)) {
      assertThat(state.getResource("counter").orElseThrow().data().get("value")).isEqualTo(processes * increments);
    }
  }

  @Test
  void killingAJournaledWriterAtRandomMomentsNeverDamagesTheStateOrLosesACommit() throws Exception {
    Path file = tmp.resolve("state.json");
    Random random = new Random(42);
    Pattern committed = Pattern.compile("committed (\\d+)");
    long lastSerial = 0;
    int kills = 40;
    int tornTails = 0;
    int strayTemps = 0;
    for (int k = 0; k < kills; k++) {
      Path log = tmp.resolve("loop-" + k + ".log");
      JvmProcess child = JvmProcess.start(JournalLoopWriter.class, log, file.toString(), k % 2 == 0 ? "inline" : "background");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.exists(log) || !child.output().contains("committed")) {
        if (System.nanoTime() > deadline || !child.process().isAlive()) {
          throw new AssertionError("writer never committed: " + child.output());
        }
        Thread.sleep(5);
      }
      Thread.sleep(random.nextInt(60));
      child.kill();
      String out = child.output();
      tornTails += out.contains("Truncating") ? 1 : 0;
      strayTemps += out.contains("left by a writer that crashed") ? 1 : 0;
      long printed = 0;
      Matcher m = committed.matcher(child.output());
      while (m.find()) {
        printed = Long.parseLong(m.group(1));
      }
      try (FileBackend backend = FileBackend.builder(file).journal(true).backgroundCompaction(false).build(); State state = State.load(backend)) {
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
    System.out.println("kills: " + kills + ", writers that found a torn tail: " + tornTails + ", that found stray temps: " + strayTemps + ", last serial: " + lastSerial);
    try (FileBackend backend = FileBackend.builder(file).journal(true).backgroundCompaction(false).build(); State state = State.load(backend)) {
      Snapshot before = state.snapshot();
      state.addHost(io.infrastate.HostState.builder("after-the-kills").build());
      backend.compact();
      Snapshot compacted = StateCodec.decode(Files.readAllBytes(file), file.toString(), "");
      assertThat(compacted.metadata().serial()).isEqualTo(before.metadata().serial() + 1);
      assertThat(compacted).isEqualTo(state.snapshot());
    }
    try (var files = Files.list(tmp)) {
      // temporary files of a killed writer are removed by the next one: at most the last's remain
      assertThat(files.filter(p -> p.getFileName().toString().endsWith(".tmp")).count()).isLessThanOrEqualTo(2);
    }
  }
}
