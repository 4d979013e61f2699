package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.Processes;
import io.infrastate.examples.cli.CliRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The contract scripts rely on: {@code state diff --exit-code}, {@code --json} errors, {@code
 * inventory} refusing a state that does not exist, and {@code version}. Exit codes are checked on
 * real CLI processes, as a shell sees them.
 */
class CliScriptingTest extends CliFileTest {
  /** Runs the CLI in its own JVM, as a shell script would. */
  Processes.Result process(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Processes.java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-cp", System.getProperty("java.class.path"), InfrastateCli.class.getName()));
    cmd.addAll(List.of(args));
    return Processes.run(tmp, Map.of(), cmd);
  }

  void seed() {
    assertThat(cli.run("host", "add", "web01", "--address", "10.0.0.5", "--group", "web").code()).isZero();
    assertThat(cli.run("host", "add", "web02", "--address", "10.0.0.6", "--group", "web").code()).isZero();
  }

  @Test
  void diffExitCodeIsZeroWhenSameTwoWhenDifferentOneOnAnyFailure() throws Exception {
    seed();
    String state = file.toString();
    Processes.Result same = process("--state", state, "state", "diff", "2", "current", "--exit-code");
    assertThat(same.code()).as(same.toString()).isZero();
    assertThat(same.out()).isEqualTo("no differences\n");

    Processes.Result differ = process("--state", state, "state", "diff", "1", "2", "--exit-code");
    assertThat(differ.code()).as(differ.toString()).isEqualTo(InfrastateCli.DIFFERENT).isEqualTo(2);
    assertThat(differ.out()).contains("1 host added");
    assertThat(differ.err()).isEmpty();

    // without --exit-code a difference is still a success, as before
    Processes.Result plain = process("--state", state, "state", "diff", "1", "2");
    assertThat(plain.code()).as(plain.toString()).isZero();

    // failures exit 1, never 2: an unknown version, a bad command line, a damaged state
    Processes.Result unknown = process("--state", state, "state", "diff", "1", "99", "--exit-code");
    assertThat(unknown.code()).as(unknown.toString()).isEqualTo(1);
    assertThat(unknown.err()).startsWith("infrastate: Version 99 is not in the history");
    Processes.Result usage = process("--state", state, "state", "diff", "1", "--exit-code", "--no-such-option");
    assertThat(usage.code()).as(usage.toString()).isEqualTo(1);
    assertThat(usage.err().lines().count()).isEqualTo(1);
    Processes.Result notAFile = process("--state", state, "state", "diff", "1", "no-such-file", "--exit-code");
    assertThat(notAFile.code()).as(notAFile.toString()).isEqualTo(1);
    Files.writeString(file, "{\"metadata\"");
    Processes.Result damaged = process("--state", state, "state", "diff", "1", "current", "--exit-code");
    assertThat(damaged.code()).as(damaged.toString()).isEqualTo(1);
    assertThat(damaged.err().lines().count()).isEqualTo(1);
  }

  @Test
  void diffExitCodeWithJsonPrintsTheDiffAndTheErrorAsJson() {
    seed();
    Result differ = cli.run("--json", "state", "diff", "1", "current", "--exit-code");
    assertThat(differ.code()).as(differ.toString()).isEqualTo(2);
    assertThat(differ.json().get("summary").asString()).contains("1 host added");
    Result unknown = cli.run("--json", "state", "diff", "1", "99", "--exit-code");
    assertThat(unknown.code()).isEqualTo(1);
    JsonNode error = CliRunner.JSON.readTree(unknown.err()).get("error");
    assertThat(error.get("code").asString()).isEqualTo("failed");
    assertThat(error.get("exit_code").asInt()).isEqualTo(1);
  }

  /** Every exit class, with --json: one JSON object on one line of stderr, its code stable. */
  @Test
  void jsonErrorsAreOneJsonObjectWithAStableCode() throws Exception {
    seed();
    assertJsonError(cli.run("--json", "state", "show", "nope"), 1, "failed", "No host or resource 'nope'");
    assertJsonError(cli.run("host", "add", "web03", "--var", "oops", "--json"), 2, "usage", "Malformed --var 'oops'");
    assertJsonError(cli.run("--json", "host", "frobnicate"), 2, "usage", "See 'infrastate host --help'");
    assertJsonError(cli.run("--json", "state", "list", "--no-such-option"), 2, "usage", "--no-such-option");
    Path older = tmp.resolve("older.json");
    Files.writeString(older, cli.run("state", "pull").out());
    Result added = cli.run("host", "add", "web03", "--address", "10.0.0.7");
    assertThat(added.code()).as(added.toString()).isZero();
    assertJsonError(cli.run("--json", "state", "push", older.toString()), 3, "conflict", "serial");
    String id = cli.run("lock", "acquire", "deploy").out().strip();
    assertJsonError(cli.run("--json", "lock", "acquire", "deploy"), 4, "lock_held", "force-unlock deploy " + id);

    // and as a real process: stdout empty, stderr exactly one JSON line, the exit code its class
    Files.writeString(file, "{\"metadata\"");
    Processes.Result damaged = process("--state", file.toString(), "--json", "host", "list");
    assertThat(damaged.code()).as(damaged.toString()).isEqualTo(InfrastateCli.DAMAGED);
    assertThat(damaged.out()).isEmpty();
    assertThat(damaged.err().lines().count()).as(damaged.toString()).isEqualTo(1);
    JsonNode error = CliRunner.JSON.readTree(damaged.err()).get("error");
    assertThat(error.get("code").asString()).isEqualTo("damaged");
    assertThat(error.get("exit_code").asInt()).isEqualTo(5);
    assertThat(error.get("message").asString()).isNotBlank().doesNotContain("\n");

    // without --json the same failure stays one plain line
    Processes.Result plain = process("--state", file.toString(), "host", "list");
    assertThat(plain.err()).startsWith("infrastate: ").doesNotStartWith("{");
  }

  static void assertJsonError(Result r, int exit, String code, String messagePart) {
    assertThat(r.code()).as(r.toString()).isEqualTo(exit);
    assertThat(r.out()).as(r.toString()).isEmpty();
    assertThat(r.err().lines().count()).as(r.toString()).isEqualTo(1);
    JsonNode root = CliRunner.JSON.readTree(r.err());
    assertThat(root.size()).as(r.toString()).isEqualTo(1);
    JsonNode error = root.get("error");
    assertThat(error.get("code").asString()).as(r.toString()).isEqualTo(code);
    assertThat(error.get("exit_code").asInt()).isEqualTo(exit);
    assertThat(error.get("message").asString()).contains(messagePart).doesNotStartWith("infrastate:");
  }

  @Test
  void jsonErrorMessagesEscapeQuotesBackslashesAndControlCharacters() {
    String line = Output.error("usage", 2, "a \"quoted\" \\ path\tand \u0001 byte");
    JsonNode error = CliRunner.JSON.readTree(line).get("error");
    assertThat(error.get("message").asString()).isEqualTo("a \"quoted\" \\ path\tand \u0001 byte");
    assertThat(line).doesNotContain("\t").doesNotContain("\u0001");
  }

  @Test
  void inventoryOfAStateThatDoesNotExistFailsUnlessAllowed() throws Exception {
    String missing = tmp.resolve("no-such-state.json").toString();
    for (List<String> args : List.of(List.of("inventory", "--list"), List.of("inventory", "--host", "web01"),
        List.of("inventory", "export"))) {
      List<String> all = new ArrayList<>(List.of("--state", missing));
      all.addAll(args);
      Processes.Result r = process(all.toArray(String[]::new));
      assertThat(r.code()).as(r.toString()).isEqualTo(InfrastateCli.ERROR);
      assertThat(r.out()).as(r.toString()).isEmpty();
      assertThat(r.err()).as(r.toString())
          .startsWith("infrastate: No state is stored at ")
          .contains("--allow-missing");
      assertThat(r.err().lines().count()).isEqualTo(1);
    }
    assertThat(Path.of(missing)).doesNotExist();

    Result allowed = CliRunner.raw(Map.of(), "--state", missing, "inventory", "--list", "--allow-missing");
    assertThat(allowed.code()).as(allowed.toString()).isZero();
    assertThat(allowed.json().get("_meta").get("hostvars").size()).isZero();
    Result export = CliRunner.raw(Map.of(), "--state", missing, "inventory", "export", "--allow-missing");
    assertThat(export.code()).as(export.toString()).isZero();

    // a state that exists but holds no hosts is an empty inventory, not an error
    seed();
    assertThat(cli.run("host", "rm", "web01").code()).isZero();
    assertThat(cli.run("host", "rm", "web02").code()).isZero();
    Result empty = cli.run("inventory", "--list");
    assertThat(empty.code()).as(empty.toString()).isZero();
    assertThat(empty.json().get("_meta").get("hostvars").size()).isZero();
  }

  @Test
  void versionPrintsTheProjectVersion() throws Exception {
    String expected = projectVersion();
    Processes.Result command = process("version");
    assertThat(command.code()).as(command.toString()).isZero();
    assertThat(command.out()).isEqualTo("infrastate reference CLI " + expected + "\n");
    Processes.Result option = process("--version");
    assertThat(option.code()).as(option.toString()).isZero();
    assertThat(option.out()).isEqualTo(command.out());
    Result json = CliRunner.raw(Map.of(), "--json", "version");
    assertThat(json.code()).isZero();
    assertThat(json.json().get("version").asString()).isEqualTo(expected);
  }

  /** The version in this module's pom.xml (its parent's), which the build filters into the CLI. */
  static String projectVersion() throws Exception {
    String pom = Files.readString(Path.of("pom.xml"));
    Matcher m = Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL).matcher(pom);
    assertThat(m.find()).as("a parent version in pom.xml").isTrue();
    return m.group(1).strip();
  }
}
