package io.infrastate.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

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
    List<String> command = List.of("taskset", "-p", "-c", Integer.toString(cpu), self.getFileName().toString());
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("cannot pin to a CPU: taskset (from util-linux) did not start: " + e.getMessage(), e);
    }
    try {
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor() != 0) {
        throw new IOException("cannot pin to a CPU: '" + String.join(" ", command) + "' failed: " + output);
      }
    } catch (InterruptedException e) {
      p.destroy();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while pinning to a CPU", e);
    }
  }

  /**
   * The CPUs this process may run on, as the kernel lists them ({@code Cpus_allowed_list} of {@code
   * /proc/self/status}, such as {@code 0-1} or {@code 4,6-7}): not always 0 to {@code
   * availableProcessors() - 1}, as in a container given a set of CPUs.
   *
   * @return the CPU numbers in ascending order, or empty where the kernel does not tell
   */
  static int[] allowedCpus() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
        if (line.startsWith("Cpus_allowed_list:")) {
          return parseCpuList(line.substring(line.indexOf(':') + 1).trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or not readable: say nothing
    }
    return new int[0];
  }

  /** A kernel CPU list such as {@code 0-3,8,10-11} as CPU numbers in ascending order. */
  static int[] parseCpuList(String list) {
    List<Integer> out = new ArrayList<>();
    for (String part : list.split(",")) {
      String[] range = part.trim().split("-");
      int from = Integer.parseInt(range[0].trim());
      int to = range.length > 1 ? Integer.parseInt(range[1].trim()) : from;
      for (int c = from; c <= to; c++) {
        out.add(c);
      }
    }
    return out.stream().mapToInt(Integer::intValue).sorted().toArray();
  }

  /**
   * The device interrupts each CPU took up to one moment: the sums of the numbered lines of {@code
   * /proc/interrupts} (the devices' lines; timer and inter-processor interrupts are named lines and
   * left out), one per CPU column, the columns named as the kernel names them.
   *
   * @param cpus the CPU numbers of the columns (the header's {@code CPU0}, {@code CPU1}, …)
   * @param counts the sum of each column
   */
  record Interrupts(int[] cpus, long[] counts) {
    /** No reading: {@code /proc/interrupts} could not be read or parsed. */
    static final Interrupts NONE = new Interrupts(new int[0], new long[0]);
  }

  /**
   * Reads the device interrupts each CPU has taken since boot.
   *
   * @return the reading, or {@link Interrupts#NONE} where {@code /proc/interrupts} cannot be read
   *     or parsed
   */
  static Interrupts deviceInterrupts() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/interrupts"), StandardCharsets.US_ASCII);
      if (lines.isEmpty()) {
        return Interrupts.NONE;
      }
      String[] header = lines.get(0).trim().split("\\s+");
      int[] cpus = new int[header.length];
      for (int c = 0; c < header.length; c++) {
        if (!header[c].startsWith("CPU")) {
          return Interrupts.NONE;
        }
        cpus[c] = Integer.parseInt(header[c].substring(3));
      }
      long[] sums = new long[cpus.length];
      for (String line : lines.subList(1, lines.size())) {
        String[] fields = line.trim().split("\\s+");
        if (fields.length <= cpus.length || !fields[0].matches("\\d+:")) {
          continue;
        }
        for (int c = 0; c < cpus.length; c++) {
          sums[c] += Long.parseLong(fields[c + 1]);
        }
      }
      return new Interrupts(cpus, sums);
    } catch (IOException | RuntimeException e) {
      return Interrupts.NONE;
    }
  }

  /**
   * The device interrupts each CPU took between two readings, as {@code CPU 0 12; CPU 1 148,352}.
   *
   * @param before the earlier reading
   * @param after the later reading
   * @return the text, or empty if either reading is missing or they disagree on the CPUs
   */
  static Optional<String> interruptsBetween(Interrupts before, Interrupts after) {
    if (before.cpus().length == 0 || !Arrays.equals(before.cpus(), after.cpus())) {
      return Optional.empty();
    }
    StringBuilder sb = new StringBuilder();
    for (int c = 0; c < after.cpus().length; c++) {
      sb.append(c > 0 ? "; " : "").append("CPU ").append(after.cpus()[c]).append(' ')
          .append(String.format(Locale.ROOT, "%,d", after.counts()[c] - before.counts()[c]));
    }
    return Optional.of(sb.toString());
  }
}
