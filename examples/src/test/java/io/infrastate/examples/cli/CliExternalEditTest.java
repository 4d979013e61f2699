package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.infrastate.examples.Processes;
import io.infrastate.examples.cli.CliRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's {@code jq … > tmp && mv tmp state.json}, then the CLI: by default the edit becomes a
 * version of its own; with {@code external=refuse} writes stop (exit 3, one line naming the
 * difference and the way on) until {@code state accept-external} records it.
 */
class CliExternalEditTest {
  @TempDir Path tmp;

  private Path seeded() throws Exception {
    assumeTrue(Processes.onPath("jq"), "jq is not installed (apt-get install jq; .ci/run installs it): not tested here");
    Path file = tmp.resolve("state.json");
    CliRunner cli = new CliRunner(file);
    CliFileTest.ok(cli.run("--operator", "alice@ops", "host", "add", "web01", "--address", "10.0.0.1"));
    CliFileTest.ok(cli.run("--operator", "alice@ops", "host", "add", "web02", "--address", "10.0.0.2"));
    Processes.Result jq = Processes.run(tmp, Map.of(),
        List.of("sh", "-c", "jq '.hosts[\"web01\"].address = \"10.9.9.9\"' state.json > tmp && mv tmp state.json"));
    assertThat(jq.code()).as(jq.toString()).isZero();
    return file;
  }

  @Test
  void byDefaultAJqEditIsItsOwnVersionInTheHistory() throws Exception {
    Path file = seeded();
    CliRunner cli = new CliRunner(file);
    CliFileTest.ok(cli.run("--operator", "bob@ops", "host", "add", "web03", "--address", "10.0.0.3"));
    Result history = CliFileTest.ok(cli.run("--json", "state", "history"));
    assertThat(history.json().findValuesAsString("operator")).containsExactly("bob@ops", "external", "alice@ops", "alice@ops");
    Result diff = CliFileTest.ok(cli.run("state", "diff", "2", "3"));
    assertThat(diff.out()).contains("web01").doesNotContain("web03");
  }

  @Test
  void refusedWritesExitThreeUntilTheEditIsAccepted() throws Exception {
    Path file = seeded();
    String uri = file.toUri() + "?external=refuse";
    byte[] edited = Files.readAllBytes(file);
    Result refused = CliRunner.raw(Map.of(), "--state", uri, "host", "add", "web03", "--address", "10.0.0.3");
    assertThat(refused.code()).as(refused.toString()).isEqualTo(InfrastateCli.CONFLICT);
    assertThat(refused.err()).contains("~ host web01: address").contains("accept-external").doesNotContain("\tat ");
    assertThat(refused.err().strip().lines()).hasSize(1);
    assertThat(Files.readAllBytes(file)).isEqualTo(edited);

    Result dry = CliFileTest.ok(CliRunner.raw(Map.of(), "--state", uri, "state", "accept-external", "--dry-run"));
    assertThat(dry.out()).contains("after version 2");
    assertThat(Files.readAllBytes(file)).isEqualTo(edited);

    Result accepted = CliFileTest.ok(CliRunner.raw(Map.of(), "--state", uri, "--operator", "alice@ops", "--reason", "reviewed",
        "state", "accept-external"));
    assertThat(accepted.out()).contains("as version 3").contains("accepted by alice@ops (reviewed)");
    Result again = CliFileTest.ok(CliRunner.raw(Map.of(), "--state", uri, "--json", "state", "accept-external"));
    assertThat(again.json().get("external_edit").asBoolean()).isFalse();

    CliFileTest.ok(CliRunner.raw(Map.of(), "--state", uri, "host", "add", "web03", "--address", "10.0.0.3"));
    Result history = CliFileTest.ok(CliRunner.raw(Map.of(), "--state", uri, "--json", "state", "history"));
    assertThat(history.json().findValuesAsString("operator")).element(1).isEqualTo("external");
  }
}
