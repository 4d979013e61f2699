package io.infrastate.file;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the real tools a test shares a state with (jq, mv, go) and fails on a non-zero exit. */
final class Shell {
  private Shell() {}

  /** Whether a command is on the PATH. */
  static boolean onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  /** Runs {@code sh -c script} in a directory; returns its standard output. */
  static String run(Path dir, String script) throws IOException, InterruptedException {
    return exec(dir, Map.of(), List.of("sh", "-c", script));
  }

  /** Runs a command in a directory with extra environment variables; returns its standard output. */
  static String exec(Path dir, Map<String, String> env, List<String> command) throws IOException, InterruptedException {
    Path err = Files.createTempFile("shell", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException(command + " did not finish");
      }
      if (p.exitValue() != 0) {
        throw new IOException(command + " exited with " + p.exitValue() + ": " + Files.readString(err) + out);
      }
      return out;
    } finally {
      Files.deleteIfExists(err);
    }
  }
}
