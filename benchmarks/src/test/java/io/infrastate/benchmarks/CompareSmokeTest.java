package io.infrastate.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that the comparison harness runs end to end — every contender, every scenario — at N=100
 * with one iteration each. It measures nothing worth reading (quick mode) and asserts no time.
 */
class CompareSmokeTest {
  @TempDir Path tmp;

  @Test
  void theHarnessRunsEveryScenarioAndContenderAndWritesItsReport() throws Exception {
    Path out = tmp.resolve("report.md");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    new Compare(new int[] {100}, tmp.resolve("work"), out, true, false, Set.of(), "smoke", new PrintStream(log, true, StandardCharsets.UTF_8)).run();
    String report = Files.readString(out);
    assertThat(report).contains(
        "### Targets", "### Single durable write", "### Batch of N adds in one update", "### Load",
        "### Reads while a writer writes", "### Concurrent writers");
    assertThat(report).contains(
        "infrastate file (whole file, history 20)", "infrastate journal (State.addHost)", "infrastate journal (backend.save alone)",
        "Go-FTL2 port as written (no fsync)", "Go-FTL2 port + fsync", "SQLite WAL synchronous=FULL (one upsert)",
        "floor: raw serialize + durable replace", "floor: read + raw Jackson parse", "SQLite (select all + decode rows)",
        "first load in a fresh JVM, infrastate file", "floor: bare durable small write", "floor: raw serialize + durable replace of the whole state",
        "waiters park", "waiters yield");
    assertThat(report).doesNotContain("NaN").contains("| 100 |");
    assertThat(report).contains("- command: `smoke`", "- sizes: N=100 → state.json ", ", heap max ");
    assertThat(tmp.resolve("work")).doesNotExist();
  }

  @Test
  void theWriterThreadsAreTheTablesColumns() throws Exception {
    Path out = tmp.resolve("writers.md");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    new Compare(new int[] {100}, tmp.resolve("work"), out, true, false, Set.of("writers"), "smoke", new PrintStream(log, true, StandardCharsets.UTF_8))
        .writerThreads(1, 3, 8)
        .run();
    String report = Files.readString(out);
    assertThat(report).contains("| contender | N=100 T=1 | N=100 T=3 | N=100 T=8 | N=100 8/1 |").doesNotContain("T=2", "T=4");
    assertThatThrownBy(() -> new Compare(new int[] {100}, tmp, out, true, false, Set.of(), "smoke", System.out).writerThreads(2, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1");
  }

  @Test
  void theGoPortWritesTheGoFormatThatInfrastateReads() throws Exception {
    Path file = tmp.resolve("go.json");
    GoFtl2.State.create(file, true, Data.snapshot(3));
    io.infrastate.model.Snapshot read = io.infrastate.codec.StateCodec.decode(Files.readAllBytes(file), file.toString(), "");
    assertThat(read.hosts()).isEqualTo(Data.snapshot(3).hosts());
    assertThat(read.resources()).isEqualTo(Data.snapshot(3).resources());
  }
}
