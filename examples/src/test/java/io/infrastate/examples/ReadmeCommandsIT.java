package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.Processes.Result;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
  void theJShellCommandsRunTheScriptsOnTheJar() throws Exception {
    Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
    Result r = Processes.run(tmp, Map.of(), List.of(
        jshell.toString(), "--class-path", Processes.JAR.toString(),
        Processes.REPO.resolve("examples/jshell/provision.jsh").toString()));
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out()).contains("hosts=2 serial=3").contains("lb targets=[10.0.1.11, 10.0.1.12]");
    assertThat(tmp.resolve("provision-state.json")).exists();
    Result report = Processes.run(tmp, Map.of(), List.of(
        jshell.toString(), "--class-path", Processes.JAR.toString(),
        Processes.REPO.resolve("examples/jshell/report.jsh").toString()));
    assertThat(report.code()).as(report.toString()).isZero();
    assertThat(report.out()).contains("2 hosts, 1 resource").contains("since v1: 2 differences").contains("ansible_host: 10.0.1.11");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "GarzaOs|after deploy: lock resource-fly_app:garza-home-mcp is free; the health checker sees v2.1.0",
    "GoFtl2Automation|run 2 starts with webservers [web01, web02]",
    "TogatherDeployments|rolled back to version 3: current def5678 in green slot, healthy, active",
    "SamakiaFabric|restored: the damaged record removed, the state is back at version 1",
    "InfrastructureModule|web1 is monitored by: [master, web2]",
  })
  void eachExampleRunsFromTheJarWithOneCommand(String example, String prints) throws Exception {
    Result r = Processes.run(tmp, Map.of(), List.of(
        Processes.java(), "-cp", Processes.JAR.toString(), "io.infrastate.examples." + example));
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out()).as(r.toString()).contains(prints).contains("\n");
    // Only the library's operator warnings may appear (a stale lock taken over), nothing else.
    assertThat(r.err().lines().filter(l -> !l.contains("WARN io.infrastate.lock"))).as(r.toString()).isEmpty();
  }
}
