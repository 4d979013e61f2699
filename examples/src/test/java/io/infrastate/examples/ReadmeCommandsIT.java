package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.Processes.Result;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's commands exactly as a newcomer types them, on the packaged jar (run from a scratch
 * directory so that the files they write land there).
 */
class ReadmeCommandsIT {
  @TempDir Path tmp;

  @Test
  void theDemoCommandRunsTheQuickStart() throws Exception {
    Result r = Processes.run(tmp, Map.of(), List.of(
        Processes.java(), "-cp", Processes.JAR.toString(), "io.infrastate.examples.QuickStart"));
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out()).contains("host web01  192.168.1.10:22 (webservers)").contains("serial 2, lineage ")
        .contains("state written to " + tmp.toRealPath().resolve("demo-state.json"));
    assertThat(r.err()).isEmpty();
  }

  @Test
  void theJShellCommandRunsTheProvisioningScriptOnTheJar() throws Exception {
    Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
    Result r = Processes.run(tmp, Map.of(), List.of(
        jshell.toString(), "--class-path", Processes.JAR.toString(),
        Processes.REPO.resolve("examples/jshell/provision.jsh").toString()));
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out()).contains("hosts=2 serial=3").contains("lb targets=[10.0.1.11, 10.0.1.12]");
    assertThat(tmp.resolve("provision-state.json")).exists();
  }
}
