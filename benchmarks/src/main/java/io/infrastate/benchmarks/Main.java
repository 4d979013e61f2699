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
 *     [--work DIR] [--quick] [--no-heap] [--only single,batch,load,reads,writers,processes,heap,startup]
 *     [--threads 1,2,4,8]
 * java -jar benchmarks/target/benchmarks.jar jmh [JMH options, such as -f 1 -wi 3 -i 5 DecodeBench]
 * </pre>
 *
 * <p>{@code compare} runs the comparison harness ({@link Compare}) in a child JVM with a fixed heap
 * touched before it starts (see {@link #measuringJvmOptions}) and writes a markdown report
 * (default {@code benchmarks/target/compare-report.md}); {@code jmh} runs the JMH microbenchmarks of
 * the hot paths (package {@code io.infrastate.benchmarks.jmh}).
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
      System.out.println("       [--only single,batch,load,reads,writers,processes,heap,startup] [--threads 1,2,4,8]");
      System.out.println("       java -jar benchmarks.jar jmh [JMH options]");
      return;
    }
    if (args[0].equals("jmh")) {
      org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (!args[0].equals("compare")) {
      System.err.println("unknown command " + args[0] + "; use compare or jmh");
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
