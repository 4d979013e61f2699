package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the JShell scripts with the real {@code jshell} and the SDK on the class path. */
class JShellScriptTest {
  @TempDir Path tmp;

  @Test
  void provisioningScriptRecordsHostsAndLoadBalancer() throws Exception {
    Path state = tmp.resolve("provision-state.json");
    String out = runJShell(Path.of("jshell/provision.jsh"), state);
    assertThat(out).contains("hosts=2 serial=3").contains("lb targets=[10.0.1.11, 10.0.1.12]");
    String again = runJShell(Path.of("jshell/provision.jsh"), state);
    assertThat(again).contains("hosts=2 serial=6");
  }

  static String runJShell(Path script, Path state) throws Exception {
    Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
    ProcessBuilder pb = new ProcessBuilder(List.of(
        jshell.toString(), "--class-path", System.getProperty("java.class.path"), "-R-Xshare:auto", script.toAbsolutePath().toString()));
    pb.environment().put("INFRASTATE_STATE", state.toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    byte[] output = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    String text = new String(output, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(text).isZero();
    assertThat(text).as("jshell reported an error").doesNotContain("|  Error").doesNotContain("Exception");
    return text;
  }
}
