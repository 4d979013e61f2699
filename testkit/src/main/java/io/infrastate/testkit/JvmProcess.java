package io.infrastate.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts a class's {@code main} in a separate JVM with the current class path, for cross-process
 * tests: real processes, real file locks, real kills. The child's standard output and error go to
 * a file, so a failing child can be diagnosed.
 *
 * <p>Not thread-safe; one instance per child.
 */
public final class JvmProcess implements AutoCloseable {
  private final Process process;
  private final Path log;

  private JvmProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code mainClass.main(args)} in a new JVM.
   *
   * @param mainClass the class whose {@code main} runs
   * @param log where the child's output goes
   * @param args the arguments
   * @return the running child
   * @throws IOException if the JVM cannot be started
   */
  public static JvmProcess start(Class<?> mainClass, Path log, String... args) throws IOException {
    return start(mainClass, log, List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"), args);
  }

  /**
   * Starts {@code mainClass.main(args)} in a new JVM with the given options instead of the small,
   * quick-starting defaults of {@link #start(Class, Path, String...)}: for a child that needs a
   * given heap or collector (a test of what fits in a heap of a given size).
   *
   * @param mainClass the class whose {@code main} runs
   * @param log where the child's output goes
   * @param jvmOptions the JVM's options, such as {@code -Xmx1200m}
   * @param args the arguments
   * @return the running child
   * @throws IOException if the JVM cannot be started
   */
  public static JvmProcess start(Class<?> mainClass, Path log, List<String> jvmOptions, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    return new JvmProcess(pb.start(), log);
  }

  /**
   * The child process.
   *
   * @return the process
   */
  public Process process() {
    return process;
  }

  /**
   * Waits for the child to exit and returns its exit code.
   *
   * @param timeout how long to wait
   * @param unit the unit of {@code timeout}
   * @return the exit code
   * @throws IllegalStateException if it did not exit in time (it is then killed), with its output
   * @throws InterruptedException if interrupted
   */
  public int await(long timeout, TimeUnit unit) throws InterruptedException {
    if (!process.waitFor(timeout, unit)) {
      process.destroyForcibly().waitFor();
      throw new IllegalStateException("child JVM did not exit within " + timeout + " " + unit + "; output:\n" + output());
    }
    return process.exitValue();
  }

  /**
   * Kills the child with SIGKILL (no shutdown hooks run) and waits for it to die.
   *
   * @throws InterruptedException if interrupted
   */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /**
   * What the child printed so far.
   *
   * @return its output, or a note if the log cannot be read
   */
  public String output() {
    try {
      return java.nio.file.Files.readString(log);
    } catch (IOException e) {
      return "(output unreadable: " + e.getMessage() + ")";
    }
  }

  /** Kills the child if it is still running. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
