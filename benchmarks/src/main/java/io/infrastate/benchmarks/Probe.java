package io.infrastate.benchmarks;

import io.infrastate.Snapshot;
import io.infrastate.State;
import io.infrastate.file.FileBackend;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.FutureTask;

/**
 * Small measurements of one thing at a time, for finding where time goes (the comparison harness
 * measures everything at once): {@code writers} runs writer threads against one journal state in
 * windows of chosen thread counts (optionally beside a reader that keeps a CPU busy); {@code reader} alternates a reader alone with a reader beside a
 * journal writer on the same state, on another state, and beside a bare durable append, optionally
 * with the reader and the writers pinned to CPUs of their own.
 *
 * <p>Not thread-safe; one probe per instance.
 */
final class Probe {
  private final PrintStream out;
  private final Path work;

  Probe(Path work, PrintStream out) {
    this.work = work;
    this.out = out;
  }

  /**
   * Writer threads add hosts flat out through one {@code State} on a journal state of {@code n}
   * hosts; for each thread count in turn (one window each, the same state throughout), prints the
   * durable writes/s, the commits/s, the writes per commit and the CPU the compaction thread used
   * per write.
   *
   * @param n hosts (and resources) in the state at the start
   * @param seconds the length of each window
   * @param threads the thread count of each window, in order
   * @param compactEvery the journal's record limit, or 0 for the default
   * @param compactAtBytes the journal's byte limit, or 0 for the default
   * @param reader whether a reader thread calls {@code getHost} flat out beside the writers in
   *     every window (its reads/s are printed too): what the writers and a busy CPU do to each other
   * @param yielding whether writers waiting for a group commit yield before they park ({@link
   *     io.infrastate.StateOptions#groupCommitYield()})
   * @throws Exception on failure
   */
  void writers(int n, double seconds, int[] threads, int compactEvery, long compactAtBytes, boolean reader, boolean yielding)
      throws Exception {
    Path d = Files.createTempDirectory(Files.createDirectories(work), "probe-writers");
    FileBackend.Builder b = FileBackend.builder(d.resolve("state.json")).journal(true);
    if (compactEvery > 0) {
      b.compactEvery(compactEvery);
    }
    if (compactAtBytes > 0) {
      b.compactAtBytes(compactAtBytes);
    }
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    String[] names = reader ? Data.hostNames(n) : null;
    try (FileBackend backend = b.build()) {
      Compare.create(backend, Data.snapshot(n));
      try (State state = State.load(backend, io.infrastate.StateOptions.builder().groupCommitYield(yielding).build());
          Compare.Target target = adding(state, state)) {
        for (int t : threads) {
          long s0 = state.metadata().serial();
          long c0 = compactionCpu(mx);
          // the reader runs the harness's read loop alone, for the same window as the writers
          FutureTask<double[]> reading = reader ? new FutureTask<>(() -> Compare.readLoop(target, names, seconds, 0)) : null;
          if (reading != null) {
            new Thread(reading, "probe-reader").start();
          }
          double[] w = Compare.writeLoop(target, t, seconds);
          String reads = reading == null ? "" : ", reader " + Stats.rate(reading.get()[0]) + " reads";
          long commits = state.metadata().serial() - s0;
          long writes = Math.max(1, (long) w[1]);
          out.printf(Locale.ROOT, "T=%d %s writes, %s commits, %.2f writes/commit, compaction CPU %.1f µs/write%s%n", t, Stats.rate(w[0]),
              Stats.rate(w[0] * commits / writes), (double) writes / Math.max(1, commits), (compactionCpu(mx) - c0) / 1e3 / writes, reads);
        }
      }
    } finally {
      Compare.deleteTree(d);
    }
  }

  /** CPU time of the journal's compaction threads so far, in nanoseconds. */
  private static long compactionCpu(ThreadMXBean mx) {
    long sum = 0;
    for (ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (info != null && info.getThreadName().startsWith("infrastate-compact")) {
        sum += Math.max(0, mx.getThreadCpuTime(info.getThreadId()));
      }
    }
    return sum;
  }

  /**
   * One reader thread calls {@code getHost} on a journal state of {@code n} hosts, in rounds of
   * four windows: alone; beside a writer on the same state; beside a writer on another state of the
   * same size; beside a bare durable append (300 bytes + fdatasync). Prints each round's reads/s
   * and the medians.
   *
   * <p>With {@code cpus}, the reader (the calling thread) runs on CPU {@code cpus[0]} and each
   * writer on CPU {@code cpus[1]} (pinned at its first write; a journal's compaction thread, started
   * by a writer, inherits its CPU); the JVM's other threads are left where the kernel puts them.
   * Whether pinned or not, a last line gives the device interrupts each CPU took during the probe
   * (where {@code /proc/interrupts} can be read): which CPU takes the disk's completions.
   *
   * @param n hosts (and resources) in each state
   * @param seconds the length of each window
   * @param rounds how many rounds
   * @param cpus {@code {reader's CPU, writers' CPU}}, or {@code null} to pin nothing
   * @throws Exception on failure, or if pinning fails ({@link Affinity})
   */
  void reader(int n, double seconds, int rounds, int[] cpus) throws Exception {
    Path d = Files.createTempDirectory(Files.createDirectories(work), "probe-reader");
    Snapshot s = Data.snapshot(n);
    String[] names = Data.hostNames(n);
    String[] modes = {"alone", "same state", "other state", "bare append"};
    double[][] rates = new double[modes.length][rounds];
    Affinity.Interrupts interrupts = Affinity.deviceInterrupts();
    try (FileBackend b1 = FileBackend.builder(Files.createDirectories(d.resolve("read")).resolve("state.json")).journal(true).build();
        FileBackend b2 = FileBackend.builder(Files.createDirectories(d.resolve("other")).resolve("state.json")).journal(true).build();
        Floors.DurableAppender appender = new Floors.DurableAppender(d.resolve("append.log"), 300)) {
      Compare.create(b1, s);
      Compare.create(b2, s);
      try (State read = State.load(b1); State other = State.load(b2)) {
        Compare.Target[] targets = {adding(read, read), adding(read, read), adding(read, other), new Compare.Target() {
          @Override
          public void read(String name) {
            read.getHost(name);
          }

          @Override
          public void write(long k) throws java.io.IOException {
            appender.append();
          }

          @Override
          public void close() {}
        }};
        if (cpus != null) {
          // pinned after the states are open: a thread they started stays free, not on the reader's CPU
          Affinity.pinCurrentThread(cpus[0]);
          out.printf(Locale.ROOT, "reader on CPU %d, writers on CPU %d%n", cpus[0], cpus[1]);
          for (int m = 1; m < targets.length; m++) {
            targets[m] = writersOn(cpus[1], targets[m]);
          }
        }
        for (int r = 0; r < rounds; r++) {
          StringBuilder line = new StringBuilder("round ").append(r + 1).append(':');
          for (int m = 0; m < modes.length; m++) {
            rates[m][r] = Compare.readLoop(targets[m], names, seconds, m == 0 ? 0 : -1)[0];
            line.append(' ').append(modes[m]).append(' ').append(Stats.rate(rates[m][r])).append(m + 1 < modes.length ? ";" : "");
          }
          out.println(line);
        }
      }
    } finally {
      Compare.deleteTree(d);
    }
    StringBuilder line = new StringBuilder("median:");
    for (int m = 0; m < modes.length; m++) {
      line.append(' ').append(modes[m]).append(' ').append(Stats.rate(Stats.median(rates[m]))).append(m + 1 < modes.length ? ";" : "");
    }
    out.println(line);
    Affinity.interruptsBetween(interrupts, Affinity.deviceInterrupts()).ifPresent(i -> out.println("device interrupts during the probe: " + i));
  }

  /** {@code t}, whose writing threads pin themselves to {@code cpu} before their first write. */
  static Compare.Target writersOn(int cpu, Compare.Target t) {
    ThreadLocal<Boolean> pinned = ThreadLocal.withInitial(() -> false);
    return new Compare.Target() {
      @Override
      public void read(String name) throws Exception {
        t.read(name);
      }

      @Override
      public void write(long k) throws Exception {
        if (!pinned.get()) {
          Affinity.pinCurrentThread(cpu);
          pinned.set(true);
        }
        t.write(k);
      }

      @Override
      public void close() throws Exception {
        t.close();
      }
    };
  }

  /** A target that reads hosts from {@code reads} and adds hosts to {@code writes}. */
  private static Compare.Target adding(State reads, State writes) {
    return new Compare.Target() {
      @Override
      public void read(String name) {
        reads.getHost(name);
      }

      @Override
      public void write(long k) {
        writes.addHost(Data.newHost(k));
      }

      @Override
      public void close() {}
    };
  }
}
