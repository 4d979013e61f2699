package io.infrastate.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

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
  void anUnknownProbeOrOptionIsRefused() {
    assertThatThrownBy(() -> ChildJvm.run(Main.class, List.of(), "never", "probe", "disk"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("probe needs writers or reader");
    assertThatThrownBy(() -> ChildJvm.run(Main.class, List.of(), "never", "probe", "writers", "--size", "0"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("option --size needs positive whole numbers");
  }

  @Test
  void theMeasuringJvmHasAFixedHeapTouchedFirst() {
    assertThat(Main.measuringJvmOptions(6L << 30))
        .containsExactly("-Xms6144m", "-Xmx6144m", "-XX:+AlwaysPreTouch", "-XX:+UseTransparentHugePages", "-Dinfrastate.benchmarks.measuring=true");
    assertThat(Main.measuringJvmOptions(1)).startsWith("-Xms64m", "-Xmx64m");
  }

  @Test
  void anUnknownKindOfLoadIsRefused() {
    assertThatThrownBy(() -> ColdLoad.load("yaml", java.nio.file.Path.of("state.json")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown kind yaml");
  }
}
