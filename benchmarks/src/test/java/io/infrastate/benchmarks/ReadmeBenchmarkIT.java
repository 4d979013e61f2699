package io.infrastate.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark commands of docs/performance.md, run on the packaged {@code benchmarks.jar} from the project's
 * root as a reader types them — with {@code --quick} and a tiny N so that the run takes seconds
 * (it measures nothing worth reading and asserts no time).
 */
class ReadmeBenchmarkIT {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final String COMPARE = "java -jar benchmarks/target/benchmarks.jar compare";
  private static final String JMH = "java -jar benchmarks/target/benchmarks.jar jmh";

  @TempDir Path tmp;

  @Test
  void theReadmeShowsTheCommandsAndTheResultsFile() throws IOException {
    String page = Files.readString(REPO.resolve("docs/performance.md"), StandardCharsets.UTF_8);
    assertThat(page).contains(COMPARE).contains(JMH).contains("benchmarks/RESULTS.md");
    assertThat(REPO.resolve("benchmarks/RESULTS.md")).isRegularFile();
  }

  @Test
  void theCompareCommandRunsAndWritesItsReport() throws Exception {
    Path out = tmp.resolve("report.md");
    List<String> command = new ArrayList<>(List.of(COMPARE.split(" ")));
    command.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("--quick", "--sizes", "100", "--no-heap", "--out", out.toString(), "--work", tmp.resolve("work").toString()));
    String output = run(command);
    assertThat(output).contains("Report written to");
    String report = Files.readString(out);
    assertThat(report).contains("### Targets", "### Single durable write", "### Concurrent writers", "infrastate journal");
    // it measured in a child JVM whose heap is fixed and touched first
    assertThat(report).containsPattern("JVM options `.*-Xms(\\d+)m -Xmx\\1m -XX:\\+AlwaysPreTouch -XX:\\+UseTransparentHugePages");
  }

  @Test
  void theJmhCommandListsTheBenchmarks() throws Exception {
    List<String> command = new ArrayList<>(List.of(JMH.split(" ")));
    command.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-l");
    assertThat(run(command)).contains("CodecBench.encode", "DurableWriteBench", "StateWriteBench");
  }

  @Test
  void theProbeCommandsRun() throws Exception {
    String page = Files.readString(REPO.resolve("docs/performance.md"), StandardCharsets.UTF_8);
    String writers = "java -jar benchmarks/target/benchmarks.jar probe writers --size 100000 --threads 1,8,1,8";
    assertThat(page).contains(writers).contains("`probe reader --size 10000 --rounds 5`");
    // as the page shows them, with a tiny state and short windows appended (later options win)
    List<String> command = new ArrayList<>(List.of(writers.split(" ")));
    command.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("--size", "10", "--seconds", "1", "--threads", "1", "--work", tmp.resolve("probe").toString()));
    assertThat(run(command)).contains("T=1 ", "writes/commit", "compaction CPU");
    List<String> reader = new ArrayList<>(command.subList(0, 4));
    reader.addAll(List.of("reader", "--size", "10000", "--rounds", "5", "--size", "10", "--seconds", "1", "--rounds", "1", "--work", tmp.resolve("probe").toString()));
    assertThat(run(reader)).contains("round 1: alone ", "median: alone ");
    assertThat(page).contains("`--cpus 0,1`");
    List<String> pinned = new ArrayList<>(reader);
    int[] allowed = Affinity.allowedCpus();
    pinned.addAll(List.of("--cpus", allowed[0] + "," + allowed[allowed.length - 1]));
    assertThat(run(pinned)).contains("reader on CPU " + allowed[0] + ", writers on CPU ", "median: alone ", "device interrupts during the probe: CPU ");
    assertThat(page).contains("`probe writers --size 10000 --threads 8,8,8 --reader`");
    List<String> beside = new ArrayList<>(command.subList(0, 4));
    beside.addAll(List.of("writers", "--size", "10000", "--threads", "8,8,8", "--reader", "--size", "10", "--seconds", "1", "--threads", "2",
        "--work", tmp.resolve("probe").toString()));
    assertThat(run(beside)).contains("T=2 ", "reads");
  }

  private String run(List<String> command) throws Exception {
    Path log = tmp.resolve("out-" + System.nanoTime() + ".log");
    Process p = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("%s finished", command).isTrue();
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(output).isZero();
    return output;
  }
}
