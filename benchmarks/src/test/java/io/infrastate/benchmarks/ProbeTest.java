package io.infrastate.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probes run end to end on a tiny state, print one line per window or round, and clean up. */
class ProbeTest {
  @TempDir Path tmp;

  @Test
  void theWritersProbePrintsOneLinePerThreadCount() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new Probe(tmp, new PrintStream(bytes, true, StandardCharsets.UTF_8)).writers(10, 1, new int[] {1, 2}, 0, 0, false);
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines).noneMatch(l -> l.contains("reader"));
    assertThat(lines.get(0)).startsWith("T=1 ").contains("writes/commit");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^T=1 ([\\d,.]+)/s writes").matcher(lines.get(0));
    assertThat(m.find()).as(lines.get(0)).isTrue();
    assertThat(Double.parseDouble(m.group(1).replace(",", ""))).as("durable writes/s").isPositive();
    assertThat(lines.get(1)).startsWith("T=2 ").contains("compaction CPU");
    try (var left = Files.list(tmp)) {
      assertThat(left).as("the probe's state is removed").isEmpty();
    }
  }

  @Test
  void theWritersProbeBesideAReaderPrintsTheReadsToo() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new Probe(tmp, new PrintStream(bytes, true, StandardCharsets.UTF_8)).writers(10, 1, new int[] {2}, 0, 1 << 20, true);
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(1);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(", reader ([\\d,.]+)/s reads$").matcher(lines.get(0));
    assertThat(m.find()).as(lines.get(0)).isTrue();
    assertThat(Double.parseDouble(m.group(1).replace(",", ""))).as("reads/s").isPositive();
    try (var left = Files.list(tmp)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void theReaderProbePrintsEachRoundAndTheMedians() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new Probe(tmp, new PrintStream(bytes, true, StandardCharsets.UTF_8)).reader(10, 1, 1, null);
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).startsWith("round 1: alone ").contains("same state", "other state", "bare append");
    assertThat(lines.get(1)).startsWith("median: alone ");
    assertThat(lines.get(2)).matches("device interrupts during the probe: CPU \\d+ [\\d,]+(; CPU \\d+ [\\d,]+)*");
    try (var left = Files.list(tmp)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void theReaderProbeRunsItsReaderAndWritersOnTheCpusItIsGiven() throws Exception {
    int[] allowed = Affinity.allowedCpus();
    int first = allowed[0];
    int last = allowed[allowed.length - 1];
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AtomicReference<String> readerCpus = new AtomicReference<>();
    // a thread of its own: the probe pins the thread that calls it
    AffinityTest.inThreadOfItsOwn(() -> {
      new Probe(tmp, new PrintStream(bytes, true, StandardCharsets.UTF_8)).reader(10, 1, 1, new int[] {last, first});
      readerCpus.set(AffinityTest.allowedCpus());
    });
    assertThat(readerCpus.get()).as("the calling thread is the reader, pinned").isEqualTo(Integer.toString(last));
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).isEqualTo("reader on CPU " + last + ", writers on CPU " + first);
    assertThat(lines.get(1)).startsWith("round 1: alone ");
  }

  @Test
  void aWriterPinsItselfToTheWritersCpuAtItsFirstWrite() throws Exception {
    int[] allowed = Affinity.allowedCpus();
    int cpu = allowed[allowed.length - 1];
    AtomicReference<String> seen = new AtomicReference<>();
    Compare.Target pinned = Probe.writersOn(cpu, new Compare.Target() {
      @Override
      public void read(String name) {}

      @Override
      public void write(long k) throws Exception {
        seen.set(AffinityTest.allowedCpus());
      }

      @Override
      public void close() {}
    });
    AffinityTest.inThreadOfItsOwn(() -> pinned.write(1));
    assertThat(seen.get()).as("the writer's CPUs during its first write").isEqualTo(Integer.toString(cpu));
  }
}
