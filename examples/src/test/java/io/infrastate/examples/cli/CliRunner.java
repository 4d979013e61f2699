package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Runs the CLI in-process with captured output, as a shell would, against one state. */
final class CliRunner {
  static final JsonMapper JSON = JsonMapper.builder().build();

  /** What one command line produced. */
  record Result(int code, String out, String err) {
    JsonNode json() {
      return JSON.readTree(out);
    }

    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private final Path state;

  CliRunner(Path state) {
    this.state = state;
  }

  /** Runs with {@code --state} set to this runner's state. */
  Result run(String... args) {
    return at(state.toString(), args);
  }

  /** Runs with {@code --state STATE} and the given arguments, in an empty environment. */
  static Result at(String state, String... args) {
    List<String> all = new ArrayList<>(List.of("--state", state));
    all.addAll(List.of(args));
    return raw(Map.of(), all.toArray(String[]::new));
  }

  /** Asserts that a command succeeded (stderr may hold notes) and returns its result. */
  static Result ok0(Result r) {
    assertThat(r.code()).as(r.toString()).isZero();
    return r;
  }

  /** Runs exactly the given arguments with the given environment. */
  static Result raw(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = InfrastateCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), env);
    return new Result(code, out.toString(), err.toString());
  }
}
