package io.infrastate.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Linux-only helpers for the probes: which CPU a thread may run on, and how many device interrupts
 * each CPU has taken.
 *
 * <p>Java has no API for a thread's CPU affinity. A thread finds its own kernel thread id through
 * {@code /proc/thread-self} and asks {@code taskset} (util-linux) to pin it; threads it starts
 * afterwards inherit that CPU. This is for measuring where a reader's time goes on a small machine
 * (on a virtual machine the disk's completion interrupts often all land on one CPU); the library
 * never pins anything.
 */
final class Affinity {
  private Affinity() {}

  /**
   * Pins the calling thread to one CPU.
   *
   * @param cpu the CPU's number, as {@code /proc/cpuinfo} counts them
   * @throws IOException if this is not Linux, {@code taskset} is missing or refuses
   */
  static void pinCurrentThread(int cpu) throws IOException {
    Path self;
    try {
      self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
    } catch (IOException | UnsupportedOperationException e) {
      throw new IOException("cannot pin a thread to a CPU here: /proc/thread-self is not readable (pinning needs Linux)", e);
    }
    taskset("-p", "-c", Integer.toString(cpu), self.getFileName().toString());
  }

  private static void taskset(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("taskset"));
    command.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("cannot pin to a CPU: taskset (from util-linux) did not start: " + e.getMessage(), e);
    }
    try {
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("cannot pin to a CPU: '" + String.join(" ", command) + "' failed: " + output);
      }
    } catch (InterruptedException e) {
      p.destroy();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while pinning to a CPU", e);
    }
  }

  /**
   * Device interrupts each CPU has taken since boot: the sums of the numbered lines of {@code
   * /proc/interrupts} (the devices' lines; timer and inter-processor interrupts are named lines and
   * left out).
   *
   * @return one count per CPU, or an empty array where {@code /proc/interrupts} cannot be read or
   *     parsed
   */
  static long[] deviceInterrupts() {
    List<String> lines;
    try {
      lines = Files.readAllLines(Path.of("/proc/interrupts"), StandardCharsets.US_ASCII);
    } catch (IOException | RuntimeException e) {
      return new long[0];
    }
    if (lines.isEmpty()) {
      return new long[0];
    }
    int cpus = lines.get(0).trim().split("\\s+").length;
    long[] sums = new long[cpus];
    for (String line : lines.subList(1, lines.size())) {
      String[] fields = line.trim().split("\\s+");
      if (fields.length <= cpus || !fields[0].matches("\\d+:")) {
        continue;
      }
      for (int c = 0; c < cpus; c++) {
        try {
          sums[c] += Long.parseLong(fields[c + 1]);
        } catch (NumberFormatException e) {
          return new long[0];
        }
      }
    }
    return sums;
  }

  /**
   * The device interrupts each CPU took between two readings of {@link #deviceInterrupts()}, as
   * {@code CPU 0 12; CPU 1 148,352}.
   *
   * @param before the earlier reading
   * @param after the later reading
   * @return the text, or empty if either reading is missing or they disagree on the CPUs
   */
  static Optional<String> interruptsBetween(long[] before, long[] after) {
    if (before.length == 0 || after.length != before.length) {
      return Optional.empty();
    }
    StringBuilder sb = new StringBuilder();
    for (int c = 0; c < after.length; c++) {
      sb.append(c > 0 ? "; " : "").append("CPU ").append(c).append(' ').append(String.format(Locale.ROOT, "%,d", after[c] - before[c]));
    }
    return Optional.of(sb.toString());
  }
}
