package io.infrastate.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.examples.cli.CliRunner.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The set-up of the CLI tests that run in-process against a state file: a fresh temporary directory,
 * the path {@code state.json} in it (not created) and a runner on it. Subclasses' {@code @BeforeEach}
 * methods run after this one's.
 */
abstract class CliFileTest {
  @TempDir Path tmp;
  Path file;
  CliRunner cli;

  @BeforeEach
  void stateFile() {
    file = tmp.resolve("state.json");
    cli = new CliRunner(file);
  }

  /** Asserts that a command succeeded and printed nothing on stderr. */
  static Result ok(Result r) {
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.err()).as(r.toString()).isEmpty();
    return r;
  }
}
