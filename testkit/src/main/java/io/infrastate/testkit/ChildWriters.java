package io.infrastate.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs several writer processes at once on one state, optionally beside a process that keeps a CPU
 * busy, for the cross-process claims: every writer finishes with default options. A writer's
 * {@code main} prints {@code attempts N} (the most attempts one of its writes took) and exits 0
 * when every write succeeded.
 *
 * <p>Not thread-safe.
 */
public final class ChildWriters {
  private static final Pattern ATTEMPTS = Pattern.compile("attempts (\\d+)");

  private final List<String> outputs;

  private ChildWriters(List<String> outputs) {
    this.outputs = outputs;
  }

  /**
   * Starts {@code processes} JVMs running {@code writer} at the same time, waits for all of them,
   * and fails if any did not exit 0 (with its output).
   *
   * @param writer the class whose {@code main} writes
   * @param logs the directory for the children's output
   * @param processes how many writers
   * @param busyCpu whether a {@link CpuBurner} runs beside them
   * @param args the arguments of writer {@code i}
   * @return the finished run
   * @throws IOException if a JVM cannot be started
   * @throws InterruptedException if interrupted while waiting
   * @throws AssertionError if a writer failed or did not finish within five minutes
   */
  public static ChildWriters run(Class<?> writer, Path logs, int processes, boolean busyCpu, IntFunction<String[]> args)
      throws IOException, InterruptedException {
    List<JvmProcess> children = new ArrayList<>();
    JvmProcess burner = busyCpu ? CpuBurner.start(logs.resolve("burner.log")) : null;
    try {
      for (int p = 0; p < processes; p++) {
        children.add(JvmProcess.start(writer, logs.resolve("writer-" + p + ".log"), args.apply(p)));
      }
      List<String> outputs = new ArrayList<>();
      for (JvmProcess c : children) {
        int code = c.await(5, TimeUnit.MINUTES);
        if (code != 0) {
          throw new AssertionError("writer exited with " + code + ":\n" + c.output());
        }
        outputs.add(c.output());
      }
      return new ChildWriters(outputs);
    } finally {
      children.forEach(JvmProcess::close);
      if (burner != null) {
        burner.close();
      }
    }
  }

  /**
   * The most attempts any single write of any writer took.
   *
   * @return at least 1
   * @throws AssertionError if a writer did not report its attempts
   */
  public int maxAttempts() {
    int max = 0;
    for (String out : outputs) {
      Matcher m = ATTEMPTS.matcher(out);
      if (!m.find()) {
        throw new AssertionError("writer did not report its attempts:\n" + out);
      }
      max = Math.max(max, Integer.parseInt(m.group(1)));
    }
    return max;
  }

  /**
   * What each writer printed.
   *
   * @return the outputs, in start order
   */
  public List<String> outputs() {
    return outputs;
  }
}
