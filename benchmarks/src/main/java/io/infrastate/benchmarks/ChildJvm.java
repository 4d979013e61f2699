package io.infrastate.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a class of this module in a fresh JVM with this JVM's class path: for measurements that a
 * warmed-up JVM would distort (the heap a load retains, the first load of a command-line run), and
 * for the comparison harness, which measures in a JVM whose heap is fixed and touched before it
 * starts (see {@code Main}).
 *
 * <p>Stateless and thread-safe.
 */
final class ChildJvm {
  private ChildJvm() {}

  /**
   * Runs {@code main} in a child JVM and returns the value of the first output line that starts
   * with {@code prefix}.
   *
   * @param main the class whose {@code main} to run
   * @param jvmOptions options for the child JVM, such as {@code -XX:+UseSerialGC}
   * @param prefix the start of the result line, such as {@code "retained="}
   * @param args the arguments of {@code main}
   * @return the result line, prefix included
   * @throws IOException if the child fails or prints no result line
   * @throws InterruptedException if interrupted
   */
  static String run(Class<?> main, List<String> jvmOptions, String prefix, String... args) throws IOException, InterruptedException {
    return result(start(main, jvmOptions, args), main, prefix);
  }

  /**
   * Runs {@code main} in a child JVM that shares this JVM's standard input, output and error, and
   * waits for it. The child is destroyed if this JVM shuts down first (Ctrl-C, a kill).
   *
   * @param main the class whose {@code main} to run
   * @param jvmOptions options for the child JVM, after this JVM's own (so that they win)
   * @param args the arguments of {@code main}
   * @return the child's exit code
   * @throws IOException if the child cannot be started
   * @throws InterruptedException if interrupted
   */
  static int runInForeground(Class<?> main, List<String> jvmOptions, String... args) throws IOException, InterruptedException {
    List<String> options = new ArrayList<>(ManagementFactory.getRuntimeMXBean().getInputArguments());
    options.addAll(jvmOptions);
    Process p = new ProcessBuilder(command(main, options, args)).inheritIO().start();
    Thread stop = new Thread(p::destroy, "stop-child-jvm");
    Runtime.getRuntime().addShutdownHook(stop);
    try {
      return p.waitFor();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(stop);
      } catch (IllegalStateException shuttingDown) {
        // this JVM is shutting down: the hook has destroyed the child or is doing so
      }
    }
  }

  /**
   * Starts {@code main} in a child JVM with its output captured; read it with {@link
   * #result(Process, Class, String)}.
   *
   * @param main the class whose {@code main} to run
   * @param jvmOptions options for the child JVM
   * @param args the arguments of {@code main}
   * @return the running child
   * @throws IOException if it cannot be started
   */
  static Process start(Class<?> main, List<String> jvmOptions, String... args) throws IOException {
    return new ProcessBuilder(command(main, jvmOptions, args)).redirectErrorStream(true).start();
  }

  /**
   * Waits for a child started with {@link #start} and returns its first output line that starts
   * with {@code prefix}.
   *
   * @param p the child
   * @param main its main class, for messages
   * @param prefix the start of the result line
   * @return the result line, prefix included
   * @throws IOException if the child fails or prints no result line
   * @throws InterruptedException if interrupted
   */
  static String result(Process p, Class<?> main, String prefix) throws IOException, InterruptedException {
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException(main.getSimpleName() + " failed: " + output);
    }
    for (String line : output.split("\n")) {
      if (line.startsWith(prefix)) {
        return line;
      }
    }
    throw new IOException(main.getSimpleName() + " printed no result: " + output);
  }

  private static List<String> command(Class<?> main, List<String> jvmOptions, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return cmd;
  }
}
