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
    assertThat(run(command)).contains("EncodeBench.encode", "DecodeBench.decode", "AddHostBench.addHost");
  }

  @Test
  void theJmhExampleRuns() throws Exception {
    String page = Files.readString(REPO.resolve("docs/performance.md"), StandardCharsets.UTF_8);
    String example = JMH + " -f 1 -wi 3 -i 5 -p n=10000 DecodeBench";
    assertThat(page).contains(example);
    // as the page shows it, with a tiny state and one short iteration instead of its warmups and five
    String quick = example.replace("-wi 3 -i 5 -p n=10000", "-wi 0 -i 1 -r 1 -p n=100");
    List<String> command = new ArrayList<>(List.of(quick.split(" ")));
    command.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
    assertThat(run(command)).contains("DecodeBench.decode", "infrastate", "jackson-streaming", "jackson-databind");
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
