package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.cli.CliRunner.Result;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Bad input: a one-line error on stderr that says what to do, a documented exit code, and the state
 * byte-for-byte untouched. And {@code --help} on every command.
 */
class CliErrorsTest extends CliFileTest {
  byte[] before;

  @BeforeEach
  void setUp() throws Exception {
    assertThat(cli.run("host", "add", "web01", "--address", "10.0.0.5").code()).isZero();
    before = Files.readAllBytes(file);
  }

  static Stream<Arguments> badInput() {
    return Stream.of(
        Arguments.of(List.of("state", "show", "nope"), InfrastateCli.ERROR, "No host or resource 'nope'"),
        Arguments.of(List.of("state", "rm", "nope"), InfrastateCli.ERROR, "see 'infrastate state list'"),
        Arguments.of(List.of("host", "rm", "nope"), InfrastateCli.ERROR, "No host 'nope'"),
        Arguments.of(List.of("host", "add", "web02", "--var", "novalue"), InfrastateCli.USAGE, "expected KEY=VALUE"),
        Arguments.of(List.of("host", "add", "web02", "--var", "=80"), InfrastateCli.USAGE, "expected KEY=VALUE"),
        Arguments.of(List.of("host", "add", "web02", "--var", "a=1", "--var", "a=2"), InfrastateCli.USAGE, "given twice"),
        Arguments.of(List.of("host", "add", "web02", "--port", "70000"), InfrastateCli.USAGE, "port 70000 is outside 0..65535"),
        Arguments.of(List.of("host", "add", "web02", "--port", "ssh"), InfrastateCli.USAGE, "--port"),
        Arguments.of(List.of("resource", "add", "plain"), InfrastateCli.USAGE, "give --type and --id"),
        Arguments.of(List.of("resource", "add", "x:1", "--tag", "env"), InfrastateCli.USAGE, "such as --tag environment=production"),
        Arguments.of(List.of("host", "add"), InfrastateCli.USAGE, "Missing required parameter: 'NAME'"),
        Arguments.of(List.of("host", "frobnicate"), InfrastateCli.USAGE, "See 'infrastate host --help'"),
        Arguments.of(List.of("state"), InfrastateCli.USAGE, "Missing required subcommand"),
        Arguments.of(List.of("state", "history", "--limit", "0"), InfrastateCli.USAGE, "--limit must be at least 1"),
        Arguments.of(List.of("state", "diff", "1", "no-such-file"), InfrastateCli.USAGE, "neither a version number"),
        Arguments.of(List.of("state", "push", "no-such-file.json"), InfrastateCli.ERROR, "Cannot read no-such-file.json"),
        Arguments.of(List.of("lock", "acquire", "../etc"), InfrastateCli.USAGE, "Invalid lock name"),
        Arguments.of(List.of("lock", "acquire", "deploy", "--lease", "soon"), InfrastateCli.USAGE, "such as 30m"),
        Arguments.of(List.of("inventory"), InfrastateCli.USAGE, "Give exactly one of --list"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInput")
  void badInputIsOneLineWithItsExitCodeAndLeavesTheStateAlone(List<String> args, int code, String says) throws Exception {
    Result r = cli.run(args.toArray(String[]::new));
    assertThat(r.code()).as(r.toString()).isEqualTo(code);
    assertThat(r.out()).as(r.toString()).isEmpty();
    assertThat(r.err().lines().count()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).as(r.toString()).startsWith("infrastate: ").contains(says);
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
  }

  @Test
  void unknownSchemeIsAUsageErrorThatNamesTheKnownOnes() {
    Result r = CliRunner.raw(Map.of(), "--state", "ftp://example.com/state.json", "state", "list");
    assertThat(r.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(r.err()).startsWith("infrastate: No backend for URI scheme 'ftp'").contains("known schemes: [");
    assertThat(r.err().lines().count()).isEqualTo(1);
  }

  @Test
  void withoutAStateTheErrorSaysHowToGiveOne() {
    Result r = CliRunner.raw(Map.of(), "host", "list");
    assertThat(r.code()).isEqualTo(InfrastateCli.USAGE);
    assertThat(r.err()).isEqualTo("infrastate: No state given: use --state PATH_OR_URI (such as --state state.json) or set INFRASTATE_STATE\n");
  }

  @Test
  void theEnvironmentVariableNamesTheState() {
    Result r = CliRunner.raw(Map.of(InfrastateCli.STATE_ENV, file.toString()), "--json", "host", "list");
    assertThat(r.code()).isZero();
    assertThat(r.json().get(0).get("name").asString()).isEqualTo("web01");
  }

  @Test
  void aDamagedStateStopsEveryVerbWithExitFiveAndStaysByteIdentical() throws Exception {
    byte[] damaged = "{\"metadata\": {\"version\": \"1.0\", \"serial\": 3".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Files.write(file, damaged);
    for (List<String> args : List.of(
        List.of("state", "list"),
        List.of("host", "add", "web02"),
        List.of("state", "rm", "web01"),
        List.of("state", "push", "--force", file.toString()),
        List.of("inventory", "--list"))) {
      Result r = cli.run(args.toArray(String[]::new));
      assertThat(r.code()).as(args + "\n" + r).isEqualTo(InfrastateCli.DAMAGED);
      assertThat(r.err().lines().count()).isEqualTo(1);
      // the state was written once: no backup yet, so the message names only the history
      assertThat(r.err()).contains(file.toString()).contains("damaged").contains("earlier versions are in " + file + ".history")
          .doesNotContain("backup");
      assertThat(Files.readAllBytes(file)).isEqualTo(damaged);
    }
  }

  @Test
  void aStateOfANewerFormatIsRefusedWithExitFive() throws Exception {
    String text = Files.readString(file).replace("\"version\": \"1.0\"", "\"version\": \"9.0\"");
    Files.writeString(file, text);
    Result r = cli.run("host", "add", "web02");
    assertThat(r.code()).as(r.toString()).isEqualTo(InfrastateCli.DAMAGED);
    assertThat(Files.readString(file)).isEqualTo(text);
  }

  @Test
  void everyCommandHasShortHelpAndTheRootHasTheExitCodes() {
    List<List<String>> paths = new ArrayList<>();
    collect(InfrastateCli.commandLine(new java.io.PrintWriter(java.io.Writer.nullWriter()),
        new java.io.PrintWriter(java.io.Writer.nullWriter()), Map.of()), new ArrayList<>(), paths);
    assertThat(paths).hasSizeGreaterThanOrEqualTo(20);
    for (List<String> path : paths) {
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      Result r = CliRunner.raw(Map.of(), args.toArray(String[]::new));
      assertThat(r.code()).as(args + "\n" + r).isZero();
      if (path.isEmpty()) {
        assertThat(r.out()).startsWith("Usage: infrastate").contains("Exit codes:")
            .contains("4   the lock is held by somebody else");
      } else {
        assertThat(r.out()).as(args.toString()).startsWith("Usage: infrastate").doesNotContain("Exit codes:")
            .doesNotContain("--key-command").contains("exit codes and state URIs:\n'infrastate --help'.");
      }
    }
  }

  private static void collect(CommandLine cmd, List<String> path, List<List<String>> out) {
    if (cmd.getCommandName().equals("help")) {
      return;
    }
    out.add(path);
    for (Map.Entry<String, CommandLine> e : cmd.getSubcommands().entrySet()) {
      List<String> sub = new ArrayList<>(path);
      sub.add(e.getKey());
      collect(e.getValue(), sub, out);
    }
  }
}
