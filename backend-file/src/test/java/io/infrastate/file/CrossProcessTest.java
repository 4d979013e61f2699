package io.infrastate.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.State;
import io.infrastate.VersionInfo;
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

/** Real separate JVMs on one state file: no lost update, and kill -9 never damages the file. */
class CrossProcessTest {
  @TempDir Path tmp;

  /**
   * Eight writer processes, fifty increments each, default options: every write succeeds, none is
   * lost, and a write that conflicted once never conflicts again (its retry holds the write lock).
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
    ChildWriters run = ChildWriters.run(CounterWriter.class, tmp, processes, busyCpu,
        p -> new String[] {file.toString(), String.valueOf(increments), "p" + p});
    assertThat(run.maxAttempts()).as("attempts of the write that took most").isBetween(1, 2);
    try (FileBackend backend = FileBackend.at(file); State state = State.load(backend)) {
      assertThat(state.getResource("counter").orElseThrow().data().get("value")).isEqualTo(processes * increments);
      assertThat(state.metadata().serial()).isEqualTo(processes * increments);
      List<VersionInfo> history = state.history();
      assertThat(history).hasSize(20);
      assertThat(history.get(0).serial()).isEqualTo(processes * increments);
      assertThat(history).allSatisfy(v -> assertThat(v.operation()).startsWith("increment by p"));
    }
  }

  @Test
  void killingAWriterAtRandomMomentsNeverDamagesTheFileOrLosesACommit() throws Exception {
    Path file = tmp.resolve("state.json");
    Random random = new Random(42);
    Pattern committed = Pattern.compile("committed (\\d+)");
    long lastSerial = 0;
    int kills = 50;
    for (int k = 0; k < kills; k++) {
      Path log = tmp.resolve("loop-" + k + ".log");
      JvmProcess child = JvmProcess.start(LoopWriter.class, log, file.toString());
      // let it start writing, then kill it at a random moment
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.exists(log) || !child.output().contains("committed")) {
        if (System.nanoTime() > deadline || !child.process().isAlive()) {
          throw new AssertionError("writer never committed: " + child.output());
        }
        Thread.sleep(5);
      }
      Thread.sleep(random.nextInt(40));
      child.kill();
      long printed = 0;
      Matcher m = committed.matcher(child.output());
      while (m.find()) {
        printed = Long.parseLong(m.group(1));
      }
      try (FileBackend backend = FileBackend.at(file); State state = State.load(backend)) {
        long serial = state.metadata().serial();
        // every commit the writer reported is on disk, and the serial never goes back
        assertThat(serial).isGreaterThanOrEqualTo(printed).isGreaterThanOrEqualTo(lastSerial);
        assertThat(state.getResource("counter").orElseThrow().data().get("value")).isEqualTo((int) serial);
        lastSerial = serial;
      }
    }
    assertThat(lastSerial).isGreaterThan(kills);
    try (var files = Files.list(tmp)) {
      // stray temporary files are cleaned up by the next writer: at most the last killer's remains
      assertThat(files.filter(p -> p.getFileName().toString().endsWith(".tmp")).count()).isLessThanOrEqualTo(2);
    }
  }
}
