package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.cli.CliRunner.Result;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The partial command tree a command line gets ({@link CommandTree#forArgs}): it holds only the
 * top-level command the arguments name, and every command line behaves with it exactly as with the
 * whole tree: same exit code, same output, same errors and suggestions.
 */
class CommandTreeTest {
  @TempDir Path tmp;
  String state;

  @BeforeEach
  void setUp() {
    state = tmp.resolve("state.json").toString();
    Result r = new CliRunner(Path.of(state)).run("host", "add", "web01", "--address", "10.0.0.5", "--var", "k=1");
    assertThat(r.code()).as(r.toString()).isZero();
  }

  /** Command lines that only read or fail, with {@code STATE} standing for the state's path. */
  static Stream<List<String>> commandLines() {
    return Stream.of(
        List.of("--state", "STATE", "host", "list"),
        List.of("--json", "--state", "STATE", "host", "list"),
        List.of("--state=STATE", "host", "list"),
        List.of("--state=STATE", "--operator", "ops", "--reason", "why", "host", "list", "--json"),
        List.of("host", "list", "--state", "STATE"),
        List.of("--state", "STATE", "state", "show", "web01"),
        List.of("--state", "STATE", "hots", "list"),
        List.of("--state", "STATE", "host", "lst"),
        List.of("--state", "STATE", "host", "add", "web02", "--adress", "10.0.0.6"),
        List.of("--state", "STATE", "host", "add", "web02", "--stat", "x"),
        List.of("--state", "STATE", "--jsn", "host", "list"),
        List.of("--state", "host", "list"),
        List.of("--reason", "--json", "host", "list"),
        List.of("--json=true", "host", "list"),
        List.of("--state", "STATE"),
        List.of(),
        List.of("--", "host", "list"),
        List.of("help", "host"),
        List.of("help"),
        List.of("--help"),
        List.of("-h", "host"),
        List.of("host", "--help"),
        List.of("--state", "STATE", "lock", "status", "deploy"),
        List.of("--version"),
        List.of("-V"),
        List.of("--state", "STATE", "--version"),
        List.of("--version", "hots"),
        List.of("-V", "host", "list"),
        List.of("version"),
        List.of("force-unlock"),
        List.of("--state", "STATE", "inventory", "--list"),
        List.of("--state", "STATE", "workspace", "list"));
  }

  @ParameterizedTest
  @MethodSource("commandLines")
  void aCommandLineBehavesAsWithTheWholeTree(List<String> line) {
    String[] args = line.stream().map(a -> a.replace("STATE", state)).toArray(String[]::new);
    Result whole = whole(args);
    Result lazy = CliRunner.raw(Map.of(), args);
    assertThat(lazy).as(String.join(" ", args)).isEqualTo(whole);
  }

  @Test
  void aNamedCommandGetsOnlyItsBranch() {
    assertThat(topLevel("--state", state, "host", "list")).containsExactly("host");
    assertThat(topLevel("--json", "--state=" + state, "--lock", "deploy=1", "state", "show")).containsExactly("state");
    assertThat(topLevel("lock", "status", "deploy")).containsExactly("lock");
    assertThat(topLevel("version")).containsExactly("version");
    assertThat(topLevel("--version")).isEmpty();
  }

  @Test
  void anUnclearCommandLineGetsTheWholeTree() {
    List<String> all = topLevel("--help");
    assertThat(all).contains("state", "workspace", "host", "resource", "lock", "inventory", "completion", "help");
    assertThat(topLevel()).isEqualTo(all);
    assertThat(topLevel("hots", "list")).isEqualTo(all);
    assertThat(topLevel("help", "host")).isEqualTo(all);
    assertThat(topLevel("completion")).isEqualTo(all);
    assertThat(topLevel("--state", "host", "list")).isEqualTo(all);
    assertThat(topLevel("--jsn", "host", "list")).isEqualTo(all);
    assertThat(topLevel("@args.txt", "host", "list")).isEqualTo(all);
    assertThat(topLevel("--", "host", "list")).isEqualTo(all);
    assertThat(topLevel("--help", "host")).isEqualTo(all);
  }

  @Test
  void theWholeTreeHasEveryTopLevelCommandOnce() {
    CommandLine cmd = InfrastateCli.commandLine(sink(), sink(), Map.of());
    assertThat(cmd.getSubcommands().values().stream().distinct().count()).isEqualTo(Root.COMMANDS.size());
  }

  private static List<String> topLevel(String... args) {
    return new ArrayList<>(CommandTree.forArgs(new Root(Map.of()), args).getSubcommands().keySet());
  }

  /** Runs with the whole tree that {@link InfrastateCli#commandLine} gives. */
  private static Result whole(String[] args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = InfrastateCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true), Map.of()).execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  private static PrintWriter sink() {
    return new PrintWriter(java.io.Writer.nullWriter());
  }
}
