package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the JShell scripts with the real {@code jshell} and the SDK on the class path ({@code
 * ReadmeCommandsIT} runs the README's command on the packaged jar).
 */
class JShellScriptTest {
  @TempDir Path tmp;

  @Test
  void provisioningScriptRecordsHostsAndLoadBalancer() throws Exception {
    Path state = tmp.resolve("provision-state.json");
    String out = runJShell(Path.of("jshell/provision.jsh"), state);
    assertThat(out).contains("hosts=2 serial=3").contains("lb targets=[10.0.1.11, 10.0.1.12]");
    String again = runJShell(Path.of("jshell/provision.jsh"), state);
    assertThat(again).contains("hosts=2 serial=6");

    String report = runJShell(Path.of("jshell/report.jsh"), state);
    assertThat(report)
        .contains("2 hosts, 1 resource\nresources by type: load_balancer 1\nhosts by group: web 2\n")
        .contains("v6 ").contains(": update resource lb:edge\n")
        .contains("since v1: 2 differences: 1 host added, 1 resource added\n")
        .contains("all:\n  children:\n    web:\n      hosts:\n        web01:\n          ansible_host: 10.0.1.11\n");
  }

  @Test
  void reportOnAStateNeverWrittenSaysSoAndExitsZero() throws Exception {
    Path state = tmp.resolve("empty-state.json");
    String report = runJShell(Path.of("jshell/report.jsh"), state);
    assertThat(report)
        .contains("0 hosts, 0 resources\n")
        .contains("no versions yet: nothing was ever written to ")
        .contains("all: {}\n");
  }

  /** The first error stops a script with exit code 1 and one line naming the script and the cause. */
  @Test
  void scriptsStopWithExitCodeOneOnTheFirstError() throws Exception {
    Path state = tmp.resolve("damaged-state.json");
    Files.writeString(state, "{\"metadata\"");
    byte[] before = Files.readAllBytes(state);
    for (String script : List.of("provision.jsh", "report.jsh")) {
      Run r = jshell(Path.of("jshell", script), state);
      assertThat(r.code()).as(r.output()).isEqualTo(1);
      assertThat(r.output()).as(r.output())
          .contains(script + ": ")
          .doesNotContain("hosts=")
          .doesNotContain("|  Exception");
    }
    assertThat(Files.readAllBytes(state)).isEqualTo(before);
  }

  /** What a jshell run did: its exit code and its output (stdout and stderr together). */
  record Run(int code, String output) {}

  static String runJShell(Path script, Path state) throws Exception {
    Run r = jshell(script, state);
    assertThat(r.code()).as(r.output()).isZero();
    assertThat(r.output()).as("jshell reported an error").doesNotContain("|  Error").doesNotContain("Exception");
    return r.output();
  }

  static Run jshell(Path script, Path state) throws Exception {
    Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
    // C1 only: the scripts are short, and this halves jshell's start-up on a busy machine.
    ProcessBuilder pb = new ProcessBuilder(List.of(
        jshell.toString(), "-J-XX:TieredStopAtLevel=1", "-R-XX:TieredStopAtLevel=1", "-R-Xshare:auto",
        "--class-path", System.getProperty("java.class.path"), script.toAbsolutePath().toString()));
    pb.environment().put("INFRASTATE_STATE", state.toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    byte[] output = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    return new Run(p.exitValue(), new String(output, StandardCharsets.UTF_8));
  }
}
