package io.infrastate.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs real processes (the launcher, java, jshell, ansible-inventory) with their output captured. */
public final class Processes {
  /** The repository root: the parent of the examples module, where tests run. */
  public static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  /** The runnable jar the README's demo command builds. */
  public static final Path JAR = REPO.resolve("examples/target/infrastate.jar");

  private Processes() {}

  /**
   * What a process did.
   *
   * @param code its exit code
   * @param out its standard output
   * @param err its standard error
   */
  public record Result(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /**
   * Runs a command to completion (at most two minutes, a hang guard, not a timing assertion).
   *
   * @param dir the working directory
   * @param env extra environment variables
   * @param command the command and its arguments
   * @return what it did
   */
  public static Result run(Path dir, Map<String, String> env, List<String> command) throws IOException, InterruptedException {
    Path out = Files.createTempFile("proc", ".out");
    Path err = Files.createTempFile("proc", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
      pb.environment().putAll(env);
      pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(nullFile()));
      Process p = pb.start();
      boolean done = p.waitFor(2, TimeUnit.MINUTES);
      if (!done) {
        p.destroyForcibly();
      }
      assertThat(done).as("%s did not finish", command).isTrue();
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static java.io.File nullFile() {
    return new java.io.File("/dev/null");
  }

  /**
   * Whether a program is on the {@code PATH}, for tests that skip with a message without it.
   *
   * @param program a program name, such as {@code jq}
   * @return true if an executable of that name is in a directory of the {@code PATH}
   */
  public static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The {@code java} of the running JVM.
   *
   * @return its path
   */
  public static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
