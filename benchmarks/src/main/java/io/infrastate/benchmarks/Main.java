package io.infrastate.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of {@code benchmarks.jar}.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar compare [--sizes 1000,10000,100000] [--out FILE]
 *     [--work DIR] [--quick] [--no-heap] [--only single,batch,load,reads,writers,processes,heap]
 *     [--threads 1,2,4,8]
 * java -jar benchmarks/target/benchmarks.jar jmh [JMH options, such as -f 1 -wi 3 -i 5 Codec]
 * java -jar benchmarks/target/benchmarks.jar probe writers [--size N] [--seconds S]
 *     [--threads 1,8,1,8,1,8] [--compact-every K] [--compact-at-mib M] [--reader] [--work DIR]
 * java -jar benchmarks/target/benchmarks.jar probe reader [--size N] [--seconds S] [--rounds R]
 *     [--cpus READER,WRITERS] [--work DIR]
 * </pre>
 *
 * <p>{@code compare} runs the comparison harness ({@link Compare}) in a child JVM with a fixed heap
 * touched before it starts (see {@link #measuringJvmOptions}) and writes a markdown report
 * (default {@code benchmarks/target/compare-report.md}); {@code jmh} runs the JMH microbenchmarks;
 * {@code probe} runs one of the small measurements of {@code Probe} (whole seconds; defaults: 1k
 * hosts, 3-s windows, threads 1,8,1,8,1,8, 5 rounds; {@code --cpus 0,1} pins the reader probe's
 * reader to CPU 0 and its writers to CPU 1, on Linux).
 */
public final class Main {
  private Main() {}

  /**
   * Runs a command.
   *
   * @param args {@code compare …} or {@code jmh …}
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
      System.out.println("usage: java -jar benchmarks.jar compare [--sizes 1000,10000,100000] [--out FILE] [--work DIR] [--quick] [--no-heap]");
      System.out.println("       [--only single,batch,load,reads,writers,processes,heap] [--threads 1,2,4,8]");
      System.out.println("       java -jar benchmarks.jar jmh [JMH options]");
      System.out.println("       java -jar benchmarks.jar probe writers [--size N] [--seconds S] [--threads 1,8,1,8] [--compact-every K] [--compact-at-mib M] [--reader] [--work DIR]");
      System.out.println("       java -jar benchmarks.jar probe reader [--size N] [--seconds S] [--rounds R] [--cpus READER,WRITERS] [--work DIR]");
      return;
    }
    if (args[0].equals("probe")) {
      probe(Arrays.asList(args).subList(1, args.length));
      return;
    }
    if (args[0].equals("jmh")) {
      org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (!args[0].equals("compare")) {
      System.err.println("unknown command " + args[0] + "; use compare, jmh or probe");
      System.exit(2);
    }
    int[] sizes = {1_000, 10_000, 100_000};
    Path out = inTarget("compare-report.md");
    Path work = inTarget("compare-work");
    boolean quick = false;
    boolean heap = true;
    java.util.Set<String> only = new java.util.LinkedHashSet<>();
    int[] threads = {1, 2, 4, 8};
    List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
    for (int i = 0; i < rest.size(); i++) {
      String option = rest.get(i);
      if (option.startsWith("--") && !option.equals("--quick") && !option.equals("--no-heap") && i + 1 >= rest.size()) {
        System.err.println("option " + option + " needs a value");
        System.exit(2);
      }
      switch (option) {
        case "--sizes":
          sizes = numbers(option, rest.get(++i));
          break;
        case "--out":
          out = Path.of(rest.get(++i));
          break;
        case "--work":
          work = Path.of(rest.get(++i));
          break;
        case "--quick":
          quick = true;
          break;
        case "--no-heap":
          heap = false;
          break;
        case "--only":
          only.addAll(Arrays.asList(rest.get(++i).split(",")));
          break;
        case "--threads":
          threads = numbers(option, rest.get(++i));
          break;
        default:
          System.err.println("unknown option " + rest.get(i));
          System.exit(2);
      }
    }
    if (!Boolean.getBoolean(MEASURING_JVM)) {
      System.exit(ChildJvm.runInForeground(Main.class, measuringJvmOptions(Runtime.getRuntime().maxMemory()), args));
    }
    String command = "java -jar benchmarks/target/benchmarks.jar " + String.join(" ", args);
    new Compare(sizes, work, out, quick, heap, only, command, System.out).writerThreads(threads).run();
  }

  /** The system property that marks the JVM in which {@code compare} measures. */
  static final String MEASURING_JVM = "infrastate.benchmarks.measuring";

  /**
   * The options of the JVM in which {@code compare} measures: the heap fixed at {@code heapBytes}
   * and touched before {@code main} runs, on transparent huge pages where the kernel offers them.
   *
   * <p>Why: the first write to a page of memory the process has not touched costs a page fault.
   * On the 2-CPU virtual machine of the results that cost about 4 s per GiB of 4-KiB pages (a
   * C loop touching fresh memory; about 65 ms per GiB on huge pages), and G1 gives memory back
   * at every full collection ({@code System.gc()} between scenarios) and grows again on demand.
   * So whichever op happened to grow the heap paid seconds: a raw serialize of the 100k state
   * measured 0.5 s median and 3.2 s p90 in one run. A fixed, touched heap takes that cost out of
   * every contender alike. The first load in a fresh JVM and the heap probe still run in child
   * JVMs of their own, with their own options: they measure what a fresh JVM does.
   *
   * @param heapBytes the heap size (this JVM's maximum, so {@code -Xmx} given to the command
   *     carries over)
   * @return the options
   */
  static List<String> measuringJvmOptions(long heapBytes) {
    long mib = Math.max(64, heapBytes >> 20);
    return List.of("-Xms" + mib + "m", "-Xmx" + mib + "m", "-XX:+AlwaysPreTouch", "-XX:+UseTransparentHugePages", "-D" + MEASURING_JVM + "=true");
  }

  /** {@code name} in {@code benchmarks/target} when run from the project's root, else in the working directory. */
  private static Path inTarget(String name) {
    Path target = Path.of("benchmarks", "target");
    return Files.isDirectory(target) ? target.resolve(name) : Path.of(name);
  }

  /** Runs {@code probe writers …} or {@code probe reader …}; exits with 2 on a bad option. */
  private static void probe(List<String> args) throws Exception {
    String kind = args.isEmpty() ? "" : args.get(0);
    if (!kind.equals("writers") && !kind.equals("reader")) {
      System.err.println("probe needs writers or reader, such as: probe writers --size 100000 --threads 1,8,1,8");
      System.exit(2);
    }
    int size = 1_000;
    double seconds = 3;
    int[] threads = {1, 8, 1, 8, 1, 8};
    int compactEvery = 0;
    long compactAtMib = 0;
    int rounds = 5;
    boolean reader = false;
    int[] cpus = null;
    Path work = inTarget("probe-work");
    for (int i = 1; i < args.size(); i++) {
      String option = args.get(i);
      if (option.equals("--reader") && kind.equals("writers")) {
        reader = true;
        continue;
      }
      if (i + 1 >= args.size()) {
        System.err.println("option " + option + " needs a value");
        System.exit(2);
      }
      String value = args.get(++i);
      switch (option) {
        case "--size" -> size = numbers(option, value)[0];
        case "--seconds" -> seconds = numbers(option, value)[0];
        case "--threads" -> threads = numbers(option, value);
        case "--compact-every" -> compactEvery = numbers(option, value)[0];
        case "--compact-at-mib" -> compactAtMib = numbers(option, value)[0];
        case "--rounds" -> rounds = numbers(option, value)[0];
        case "--cpus" -> {
          if (!kind.equals("reader")) {
            System.err.println("option --cpus is for probe reader only");
            System.exit(2);
          }
          cpus = cpus(value);
        }
        case "--work" -> work = Path.of(value);
        default -> {
          System.err.println("unknown option " + option);
          System.exit(2);
        }
      }
    }
    Probe probe = new Probe(work, System.out);
    if (kind.equals("writers")) {
      probe.writers(size, seconds, threads, compactEvery, compactAtMib << 20, reader);
    } else {
      probe.reader(size, seconds, rounds, cpus);
    }
  }

  /**
   * {@code --cpus}: the reader's CPU and the writers' CPU, each one this process may run on ({@link
   * Affinity#allowedCpus()}); exits with 2 if the value is not that.
   */
  private static int[] cpus(String value) {
    int[] allowed = Affinity.allowedCpus();
    if (allowed.length == 0) {
      System.err.println("option --cpus needs Linux: /proc/self/status does not list the CPUs this process may run on");
      System.exit(2);
    }
    String[] parts = value.split(",");
    try {
      int[] out = Arrays.stream(parts).mapToInt(p -> Integer.parseInt(p.trim())).toArray();
      if (out.length == 2 && Arrays.stream(out).allMatch(c -> Arrays.binarySearch(allowed, c) >= 0)) {
        return out;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    String list = Arrays.stream(allowed).mapToObj(String::valueOf).collect(java.util.stream.Collectors.joining(","));
    System.err.println("option --cpus needs two of the CPUs this process may run on (" + list + "), the reader's and the writers', such as "
        + allowed[0] + "," + allowed[allowed.length - 1] + "; got '" + value + "'");
    System.exit(2);
    return null;
  }

  /** A comma-separated list of positive whole numbers ({@code _} allowed as a digit separator); exits with 2 if it is not one. */
  private static int[] numbers(String option, String value) {
    try {
      int[] out = Arrays.stream(value.split(",")).mapToInt(s -> Integer.parseInt(s.trim().replace("_", ""))).toArray();
      if (Arrays.stream(out).allMatch(v -> v > 0)) {
        return out;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    System.err.println("option " + option + " needs positive whole numbers separated by commas, such as 1,2,4,8; got '" + value + "'");
    System.exit(2);
    return null;
  }
}
