package io.infrastate.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness's command line refuses bad numbers with one line and exit status 2, before measuring
 * anything; it measures in a JVM whose heap is fixed.
 */
class MainOptionsTest {
  @Test
  void badThreadCountsAreRefusedWithOneLine() {
    assertThatThrownBy(() -> ChildJvm.run(Main.class, List.of(), "never", "compare", "--threads", "1,0"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("option --threads needs positive whole numbers separated by commas, such as 1,2,4,8; got '1,0'")
        .hasMessageNotContaining("Exception");
  }

  @Test
  void aMissingValueIsRefused() {
    assertThatThrownBy(() -> ChildJvm.run(Main.class, List.of(), "never", "compare", "--sizes"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("option --sizes needs a value");
  }

  @Test
  void anUnknownCommandOrOptionIsRefused() {
    assertThatThrownBy(() -> ChildJvm.run(Main.class, List.of(), "never", "probe", "writers"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unknown command probe; use compare or jmh");
    assertThatThrownBy(() -> ChildJvm.run(Main.class, List.of(), "never", "compare", "--cpus", "0,1"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unknown option --cpus");
  }

  @Test
  void theMeasuringJvmHasAFixedHeapTouchedFirst() {
    assertThat(Main.measuringJvmOptions(6L << 30))
        .containsExactly("-Xms6144m", "-Xmx6144m", "-XX:+AlwaysPreTouch", "-XX:+UseTransparentHugePages", "-Dinfrastate.benchmarks.measuring=true");
    assertThat(Main.measuringJvmOptions(1)).startsWith("-Xms64m", "-Xmx64m");
  }

  @Test
  void theMeasuringJvmTakesTheHeapTheCommandWasGiven(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("report.md");
    ChildJvm.run(Main.class, List.of("-Xmx700m"), "Report written to",
        "compare", "--quick", "--sizes", "100", "--no-heap", "--only", "single", "--out", out.toString(), "--work", tmp.resolve("work").toString());
    Matcher m = Pattern.compile("JVM options `.*-Xms(\\d+)m -Xmx(\\d+)m -XX:\\+AlwaysPreTouch").matcher(Files.readString(out));
    assertThat(m.find()).as("the report names the measuring JVM's heap").isTrue();
    assertThat(m.group(1)).isEqualTo(m.group(2));
    // the invoking JVM's maximum, which the JVM reports a little under the -Xmx given
    assertThat(Integer.parseInt(m.group(2))).isBetween(600, 700);
  }

  @Test
  void anUnknownKindOfLoadIsRefused() {
    assertThatThrownBy(() -> ColdLoad.load("yaml", java.nio.file.Path.of("state.json")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown kind yaml");
  }
}
