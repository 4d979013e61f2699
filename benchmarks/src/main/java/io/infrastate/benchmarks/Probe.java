package io.infrastate.benchmarks;

import io.infrastate.AuditEntry;
import io.infrastate.Snapshot;
import io.infrastate.State;
import io.infrastate.file.JournalFileBackend;
import io.infrastate.spi.Change;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.VersionToken;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Small measurements of one thing at a time, for finding where time goes (the comparison harness
 * measures everything at once): {@code writers} runs writer threads against one journal state in
 * windows of chosen thread counts; {@code reader} alternates a reader alone with a reader beside a
 * journal writer on the same state, on another state, and beside a bare durable append.
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
   * @throws Exception on failure
   */
  void writers(int n, double seconds, int[] threads, int compactEvery) throws Exception {
    Path d = Files.createTempDirectory(Files.createDirectories(work), "probe-writers");
    JournalFileBackend.Builder b = JournalFileBackend.builder(d.resolve("state.json"));
    if (compactEvery > 0) {
      b.compactEvery(compactEvery);
    }
    AtomicLong seq = new AtomicLong();
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    try (JournalFileBackend backend = b.build()) {
      create(backend, Data.snapshot(n));
      try (State state = State.load(backend)) {
        for (int t : threads) {
          AtomicBoolean stop = new AtomicBoolean();
          AtomicLong writes = new AtomicLong();
          List<Thread> ts = new ArrayList<>();
          for (int i = 0; i < t; i++) {
            Thread th = new Thread(() -> {
              while (!stop.get()) {
                state.addHost(Data.newHost(seq.incrementAndGet()));
                writes.incrementAndGet();
              }
            }, "probe-writer-" + i);
            ts.add(th);
          }
          long w0 = writes.get();
          long s0 = state.metadata().serial();
          long c0 = compactionCpu(mx);
          long t0 = System.nanoTime();
          ts.forEach(Thread::start);
          Thread.sleep((long) (seconds * 1000));
          long w1 = writes.get();
          long s1 = state.metadata().serial();
          long c1 = compactionCpu(mx);
          double el = (System.nanoTime() - t0) / 1e9;
          stop.set(true);
          for (Thread th : ts) {
            th.join();
          }
          long w = Math.max(1, w1 - w0);
          out.printf(Locale.ROOT, "T=%d %s writes, %s commits, %.2f writes/commit, compaction CPU %.1f µs/write%n", t, Stats.rate(w / el),
              Stats.rate((s1 - s0) / el), (double) w / Math.max(1, s1 - s0), (c1 - c0) / 1e3 / w);
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
   * @param n hosts (and resources) in each state
   * @param seconds the length of each window
   * @param rounds how many rounds
   * @throws Exception on failure
   */
  void reader(int n, double seconds, int rounds) throws Exception {
    Path d = Files.createTempDirectory(Files.createDirectories(work), "probe-reader");
    Snapshot s = Data.snapshot(n);
    String[] names = new String[n];
    for (int i = 0; i < n; i++) {
      names[i] = Data.hostName(i);
    }
    String[] modes = {"alone", "same state", "other state", "bare append"};
    double[][] rates = new double[modes.length][rounds];
    AtomicLong seq = new AtomicLong();
    try (JournalFileBackend b1 = JournalFileBackend.at(Files.createDirectories(d.resolve("read")).resolve("state.json"));
        JournalFileBackend b2 = JournalFileBackend.at(Files.createDirectories(d.resolve("other")).resolve("state.json"));
        Floors.DurableAppender appender = new Floors.DurableAppender(d.resolve("append.log"), 300)) {
      create(b1, s);
      create(b2, s);
      try (State read = State.load(b1); State other = State.load(b2)) {
        for (int r = 0; r < rounds; r++) {
          for (int m = 0; m < modes.length; m++) {
            int mode = m;
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = mode == 0 ? null : new Thread(() -> {
              try {
                while (!stop.get()) {
                  if (mode == 1) {
                    read.addHost(Data.newHost(seq.incrementAndGet()));
                  } else if (mode == 2) {
                    other.addHost(Data.newHost(seq.incrementAndGet()));
                  } else {
                    appender.append();
                  }
                }
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            }, "probe-writer");
            if (writer != null) {
              writer.start();
            }
            long rnd = 0x9E3779B97F4A7C15L;
            long reads = 0;
            long t0 = System.nanoTime();
            long deadline = t0 + (long) (seconds * 1e9);
            long now = t0;
            while (now - deadline < 0) {
              for (int i = 0; i < 64; i++) {
                rnd = Compare.xorshift(rnd);
                read.getHost(names[(int) ((rnd >>> 1) % n)]);
              }
              reads += 64;
              now = System.nanoTime();
            }
            stop.set(true);
            if (writer != null) {
              writer.join();
            }
            rates[m][r] = reads / ((now - t0) / 1e9);
          }
          StringBuilder line = new StringBuilder("round ").append(r + 1).append(':');
          for (int m = 0; m < modes.length; m++) {
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
  }

  private static void create(JournalFileBackend backend, Snapshot s) {
    backend.save(new SaveRequest(VersionToken.absent(), s, List.of(new Change.ReplaceAll(s)), new AuditEntry("probe", "create", "")));
  }
}
