package io.infrastate.benchmarks;

import static io.infrastate.benchmarks.Compare.HISTORY;
import static io.infrastate.benchmarks.Compare.SEQ;
import static io.infrastate.benchmarks.Compare.create;
import static io.infrastate.benchmarks.Compare.deleteTree;
import static io.infrastate.benchmarks.Compare.fillHistory;
import static io.infrastate.benchmarks.Compare.gc;
import static io.infrastate.benchmarks.Compare.label;
import static io.infrastate.benchmarks.Compare.options;

import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.file.FileBackend;
import io.infrastate.spi.Backend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The concurrent scenarios of the comparison harness: reads while a writer writes, writer threads
 * sharing one handle, and writer processes sharing one state. Each contender is a {@link Target}
 * (a read, a durable write, cleanup); results go into the harness's tables and metrics.
 *
 * <p>Not thread-safe; belongs to one {@link Compare}.
 */
final class Concurrent {
  private final Compare c;

  Concurrent(Compare c) {
    this.c = c;
  }

  /** Declares the tables of the reads, writers and processes scenarios, in that order. */
  void declareTables() {
    c.table("reads", "Reads while a writer writes",
        "One reader thread calls getHost (random names) for a window alone, then while one writer thread adds hosts durably"
            + " — flat out, then paced at 20 writes/s (or as fast as it can if slower) — in " + rounds() + " rounds. Reads/s"
            + " alone; for each writer the reads/s ratio to alone in the same round, the reader's p99.9 latency (sampled) and"
            + " the writes/s achieved: medians over the rounds. On 2 CPUs a flat-out"
            + " writer takes one CPU (and the GC more), so the flat-out ratio measures CPU sharing as much as blocking. The two"
            + " floors read from a State that nobody writes while a bare durable writer with no library code runs beside the"
            + " reader: what they lose is what any durable writer costs a reader on this machine.",
        "reads/s alone", "ratio flat out", "p99.9", "writes/s", "ratio paced", "p99.9", "writes/s");
    List<String> writerColumns = new ArrayList<>();
    for (int t : c.writerThreads) {
      writerColumns.add("T=" + t);
    }
    writerColumns.add("8/1");
    c.table("writers", "Concurrent writers",
        "T threads each add hosts durably through one shared handle (SQLite: a connection per thread) for a window, every T"
            + " once per round, in " + rounds() + " rounds. Median durable writes/s for T = "
            + java.util.Arrays.stream(c.writerThreads).mapToObj(String::valueOf).collect(java.util.stream.Collectors.joining(", "))
            + " and the median of the rounds' 8-thread/1-thread ratios (infrastate and the floors: with group commit, also"
            + " writes per commit at 8 threads). The floors commit groups of bare 300-byte records with no library code; their"
            + " waiting writers park (woken one by one) or yield the CPU until done: what the wait itself costs on this machine.",
        writerColumns.toArray(new String[0]));
    c.table("processes", "Concurrent writer processes",
        "P separate JVMs (default options, each its own State and backend on one state of N hosts + N resources) add"
            + " hosts durably, flat out, for the same window. Total durable writes/s, the most writes of other processes"
            + " stored between two consecutive writes of one process (how long a writer waited for its turn: fairness),"
            + " and the writes that failed with a conflict. Compare with the threads of the table above, which share one"
            + " handle.",
        "P=4 writes/s", "max waited", "failed", "P=8 writes/s", "max waited", "failed");
  }

  /** A contender for the concurrent scenarios: a read, a durable write, and cleanup. */
  interface Target extends AutoCloseable {
    void read(String name) throws Exception;

    void write(long k) throws Exception;

    /** Durable commits so far, if the contender can tell (infrastate: the serial), else -1. */
    default long commits() {
      return -1;
    }

    @Override
    void close() throws Exception;
  }

  private Target target(String kind, int n, Snapshot s, int threads) throws Exception {
    Path d = c.fresh("c-" + kind);
    switch (kind) {
      case "file":
      case "journal": {
        Backend backend = kind.equals("file")
            ? FileBackend.builder(d.resolve("state.json")).historyRetention(HISTORY).build()
            : FileBackend.builder(d.resolve("state.json")).journal(true).build();
        create(backend, s);
        State state = State.load(backend, options());
        if (kind.equals("file")) {
          fillHistory(state);
        }
        return new Target() {
          @Override
          public void read(String name) {
            state.getHost(name);
          }

          @Override
          public void write(long k) {
            state.addHost(Data.newHost(k));
          }

          @Override
          public long commits() {
            return state.metadata().serial();
          }

          @Override
          public void close() throws Exception {
            state.close();
            backend.close();
            deleteTree(d);
          }
        };
      }
      case "floor-append":
      case "floor-whole":
      case "floor-group-park":
      case "floor-group-yield": {
        // the floors: reads from a State nobody writes, while a bare durable writer runs beside it;
        // for concurrent writers, bare group commit
        State state = State.load(new NullBackend(s), options());
        Floors.DurableAppender appender = kind.equals("floor-append") ? new Floors.DurableAppender(d.resolve("append.log"), 300) : null;
        Floors.GroupAppender group = kind.startsWith("floor-group") ? new Floors.GroupAppender(d.resolve("group.log"), kind.endsWith("yield")) : null;
        GoFtl2.StateFile plain = kind.equals("floor-whole") ? Floors.plain(s) : null;
        Path f = d.resolve("state.json");
        return new Target() {
          @Override
          public void read(String name) {
            state.getHost(name);
          }

          @Override
          public void write(long k) throws Exception {
            if (appender != null) {
              appender.append();
            } else if (group != null) {
              group.append();
            } else {
              Floors.durableReplace(f, Floors.serializeStreaming(plain, Floors.Times.FAST));
            }
          }

          @Override
          public long commits() {
            return group != null ? group.commits() : -1;
          }

          @Override
          public void close() throws Exception {
            state.close();
            if (appender != null) {
              appender.close();
            }
            if (group != null) {
              group.close();
            }
            deleteTree(d);
          }
        };
      }
      case "go": {
        GoFtl2.State go = GoFtl2.State.create(d.resolve("state.json"), true, s);
        return new Target() {
          @Override
          public void read(String name) {
            go.getHost(name);
          }

          @Override
          public void write(long k) throws Exception {
            go.addHost(GoFtl2.fromHost(Data.newHost(k)));
          }

          @Override
          public void close() throws Exception {
            deleteTree(d);
          }
        };
      }
      default: {
        Path f = d.resolve("state.db");
        try (SqliteStore init = new SqliteStore(f)) {
          init.putAll(s);
        }
        ThreadLocal<SqliteStore> conn = new ThreadLocal<>();
        List<SqliteStore> all = new ArrayList<>();
        return new Target() {
          private SqliteStore db() throws Exception {
            SqliteStore db = conn.get();
            if (db == null) {
              db = new SqliteStore(f);
              conn.set(db);
              synchronized (all) {
                all.add(db);
              }
            }
            return db;
          }

          @Override
          public void read(String name) throws Exception {
            db().getHost(name);
          }

          @Override
          public void write(long k) throws Exception {
            db().putHost(Data.newHost(k));
          }

          @Override
          public void close() throws Exception {
            synchronized (all) {
              for (SqliteStore db : all) {
                db.close();
              }
            }
            deleteTree(d);
          }
        };
      }
    }
  }

  /**
   * The concurrent-writers contenders, after two floors: bare group commit of small durable writes
   * with no library code, its waiting writers parked or yielding (what the wait itself costs on
   * this machine).
   */
  private static final String[] CONCURRENT = {"floor-group-park", "floor-group-yield", "file", "journal", "go", "sqlite"};

  /**
   * The reads-while-writing contenders: the concurrent ones after two floors, which read from a
   * State that nobody writes while a bare durable writer (a small write + fdatasync, or a raw
   * serialize + durable replace of the whole state) runs beside the reader. What a floor's reads
   * lose is what any durable writer costs a reader on this machine (CPU share, the kernel's sync
   * work), with no library code in the writer at all.
   */
  private static final String[] READS = {"floor-append", "floor-whole", "file", "journal", "go", "sqlite"};

  private static String contenderName(String kind) {
    switch (kind) {
      case "floor-append": return "floor: bare durable small write (300 B into synced space + fdatasync)";
      case "floor-whole": return "floor: raw serialize + durable replace of the whole state";
      case "floor-group-park": return "floor: bare group commit (300 B per writer, one write + fdatasync per group), waiters park";
      case "floor-group-yield": return "floor: bare group commit (300 B per writer, one write + fdatasync per group), waiters yield";
      case "file": return "infrastate file (whole file)";
      case "journal": return "infrastate journal";
      case "go": return "Go-FTL2 port + fsync (RW mutex held over the save)";
      default: return "SQLite WAL FULL";
    }
  }

  private double window(int n) {
    if (c.quick) {
      return 0.1;
    }
    return n >= 100_000 ? 3.0 : 2.0;
  }

  void reads(int n, Snapshot s) throws Exception {
    String[] names = Data.hostNames(n);
    double window = window(n) / 2;
    int rounds = rounds();
    for (String kind : READS) {
      try (Target t = target(kind, n, s, 2)) {
        readLoop(t, names, window / 2, 0);
        // alone, flat out, paced: in rounds, each ratio to the reads alone of its own round, so that
        // this machine's drift (other tenants, the disk's sync latency) falls on both sides of it
        double[][] alone = new double[rounds][];
        double[][] flat = new double[rounds][];
        double[][] paced = new double[rounds][];
        double[] flatRatio = new double[rounds];
        double[] pacedRatio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          alone[r] = readLoop(t, names, window, 0);
          flat[r] = readLoop(t, names, window, -1);
          paced[r] = readLoop(t, names, window, PACED_WRITES_PER_SECOND);
          flatRatio[r] = flat[r][0] / alone[r][0];
          pacedRatio[r] = paced[r][0] / alone[r][0];
        }
        double ratio = Stats.median(flatRatio);
        double pacedMedian = Stats.median(pacedRatio);
        double aloneRate = Stats.median(column(alone, 0));
        c.metrics.put("reads/" + kind + "/" + n, ratio);
        c.metrics.put("reads-paced/" + kind + "/" + n, pacedMedian);
        c.tables.get("reads").put(contenderName(kind), n, Stats.rate(aloneRate), Stats.ratio(ratio), Stats.time(Stats.median(column(flat, 1))),
            Stats.rate(Stats.median(column(flat, 2))), Stats.ratio(pacedMedian), Stats.time(Stats.median(column(paced, 1))),
            Stats.rate(Stats.median(column(paced, 2))));
        c.progress(String.format(Locale.ROOT, "reads    N=%-6s %-58s by round: alone %s; writing flat out %s (writer %s); paced %s (writer %s)", label(n),
            contenderName(kind), rates(column(alone, 0)), ratios(flatRatio), rates(column(flat, 2)), ratios(pacedRatio), rates(column(paced, 2))));
      }
      gc();
    }
  }

  /** How many rounds the reads and writers scenarios alternate their measurements in. */
  private int rounds() {
    return c.quick ? 1 : 3;
  }

  private static double[] column(double[][] rows, int i) {
    double[] out = new double[rows.length];
    for (int r = 0; r < rows.length; r++) {
      out[r] = rows[r][i];
    }
    return out;
  }

  private static String rates(double[] values) {
    return java.util.Arrays.stream(values).mapToObj(Stats::rate).collect(java.util.stream.Collectors.joining(" / "));
  }

  private static String ratios(double[] values) {
    return java.util.Arrays.stream(values).mapToObj(v -> String.format(Locale.ROOT, "%.2f", v)).collect(java.util.stream.Collectors.joining(" / "));
  }

  /** The writer's pace in the second reads-while-writing measurement. */
  private static final int PACED_WRITES_PER_SECOND = 20;

  /**
   * Returns {reads/s, p99.9 read latency in ns (sampled), writes/s}; {@code writesPerSecond} 0 for
   * no writer, -1 for a writer writing flat out, else the writer's pace.
   */
  static double[] readLoop(Target t, String[] names, double seconds, int writesPerSecond) throws Exception {
    boolean withWriter = writesPerSecond != 0;
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong writes = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer = null;
    CountDownLatch writerStarted = new CountDownLatch(1);
    // The writer stops at the window's end by itself too: a writer holding a lock over its saves
    // (the Go-FTL2 port) can starve the reader, which then sees the window's end only late.
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    if (withWriter) {
      writer = new Thread(() -> {
        writerStarted.countDown();
        try {
          long next = System.nanoTime();
          while (!stop.get() && System.nanoTime() - deadline < 0) {
            t.write(SEQ.getAndIncrement());
            writes.incrementAndGet();
            if (writesPerSecond > 0) {
              next += 1_000_000_000L / writesPerSecond;
              long wait = next - System.nanoTime();
              if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
              }
            }
          }
        } catch (Throwable e) {
          failure.set(e);
        }
      }, "bench-writer");
      writer.start();
      writerStarted.await();
    }
    long[] lat = new long[1 << 16];
    int latN = 0;
    long reads = 0;
    long rnd = 0x9E3779B97F4A7C15L;
    long t0 = System.nanoTime();
    long now = t0;
    while (now - deadline < 0) {
      for (int i = 0; i < 64; i++) {
        rnd = xorshift(rnd);
        String name = names[(int) ((rnd >>> 1) % names.length)];
        if (i == 0) {
          long a = System.nanoTime();
          t.read(name);
          long b = System.nanoTime();
          if (latN < lat.length) {
            lat[latN++] = b - a;
          }
        } else {
          t.read(name);
        }
      }
      reads += 64;
      now = System.nanoTime();
    }
    double elapsed = (now - t0) / 1e9;
    stop.set(true);
    if (writer != null) {
      writer.join();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("writer failed", failure.get());
    }
    long[] l = java.util.Arrays.copyOf(lat, latN);
    return new double[] {reads / elapsed, Stats.percentile(l, 99.9), writes.get() / elapsed};
  }

  /** The next value of a xorshift sequence: the readers' cheap random choice of a name. */
  private static long xorshift(long x) {
    x ^= x << 13;
    x ^= x >>> 7;
    x ^= x << 17;
    return x;
  }

  void writers(int n, Snapshot s) throws Exception {
    double window = window(n) / 2;
    int rounds = rounds();
    for (String kind : CONCURRENT) {
      double[][] rates = new double[c.writerThreads.length][rounds];
      double[] eightToOne = new double[rounds];
      double[] perCommit = new double[rounds];
      java.util.Arrays.fill(eightToOne, Double.NaN);
      java.util.Arrays.fill(perCommit, Double.NaN);
      try (Target t = target(kind, n, s, java.util.Arrays.stream(c.writerThreads).max().orElse(8))) {
        writeLoop(t, 1, c.quick ? 0.05 : 0.5);
        // every thread count once per round, the ratio taken within each round (see reads)
        for (int r = 0; r < rounds; r++) {
          double one = Double.NaN;
          for (int i = 0; i < c.writerThreads.length; i++) {
            int threads = c.writerThreads[i];
            long c0 = t.commits();
            double[] w = writeLoop(t, threads, window);
            long c1 = t.commits();
            rates[i][r] = w[0];
            if (threads == 1) {
              one = w[0];
            }
            if (threads == 8) {
              eightToOne[r] = w[0] / one;
              perCommit[r] = c0 >= 0 ? w[1] / Math.max(1, c1 - c0) : Double.NaN;
            }
          }
        }
      }
      List<String> cells = new ArrayList<>();
      for (int i = 0; i < c.writerThreads.length; i++) {
        cells.add(Stats.rate(Stats.median(rates[i])));
        c.progress(String.format(Locale.ROOT, "writers  N=%-6s %-58s T=%d by round: %s", label(n), contenderName(kind), c.writerThreads[i], rates(rates[i])));
      }
      double ratio = Stats.median(eightToOne);
      double commits = Stats.median(perCommit);
      cells.add(Stats.ratio(ratio) + (Double.isNaN(commits) ? "" : String.format(Locale.ROOT, " (%.1f writes/commit)", commits)));
      c.progress(String.format(Locale.ROOT, "writers  N=%-6s %-58s 8/1 by round: %s", label(n), contenderName(kind), ratios(eightToOne)));
      c.metrics.put("writers/" + kind + "/" + n, ratio);
      c.tables.get("writers").put(contenderName(kind), n, cells.toArray(new String[0]));
      gc();
    }
  }

  void processes(int n, Snapshot s) throws Exception {
    double window = c.quick ? 1.0 : 5.0;
    for (String kind : new String[] {"file", "journal"}) {
      List<String> cells = new ArrayList<>();
      for (int p : new int[] {4, 8}) {
        Path d = c.fresh("p-" + kind);
        Path f = d.resolve("state.json");
        try (Backend backend = kind.equals("file") ? FileBackend.builder(f).historyRetention(HISTORY).build() : FileBackend.builder(f).journal(true).build()) {
          create(backend, s);
        }
        long startAt = System.currentTimeMillis() + 3000; // the children's JVMs start meanwhile
        List<Process> children = new ArrayList<>();
        for (int i = 0; i < p; i++) {
          children.add(ChildJvm.start(ProcessWriter.class, List.of("-XX:+UseSerialGC"),
              kind, f.toString(), Long.toString(startAt), Double.toString(window), Integer.toString(i + 1)));
        }
        long writes = 0;
        long failed = 0;
        long waited = 0;
        for (Process c : children) {
          String line = ChildJvm.result(c, ProcessWriter.class, "result ");
          for (String part : line.substring("result ".length()).split(" ")) {
            String[] kv = part.split("=");
            long v = Long.parseLong(kv[1]);
            switch (kv[0]) {
              case "writes" -> writes += v;
              case "failed" -> failed += v;
              default -> waited = Math.max(waited, v);
            }
          }
        }
        double rate = writes / window;
        cells.add(Stats.rate(rate));
        cells.add(Long.toString(waited));
        cells.add(Long.toString(failed));
        c.metrics.put("processes/" + kind + "/" + p + "/" + n, rate);
        c.progress(String.format(Locale.ROOT, "processes N=%-6s %-58s P=%d: %s writes/s, max waited %d writes, %d failed",
            label(n), contenderName(kind), p, Stats.rate(rate), waited, failed));
        deleteTree(d);
      }
      c.tables.get("processes").put(contenderName(kind), n, cells.toArray(new String[0]));
    }
  }

  /** Returns {writes/s, writes}. */
  static double[] writeLoop(Target t, int threads, double seconds) throws Exception {
    AtomicLong done = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> ts = new ArrayList<>();
    long[] deadline = new long[1];
    for (int i = 0; i < threads; i++) {
      Thread th = new Thread(() -> {
        try {
          start.await();
          while (System.nanoTime() < deadline[0]) {
            t.write(SEQ.getAndIncrement());
            done.incrementAndGet();
          }
        } catch (Throwable e) {
          failure.set(e);
        }
      }, "bench-writer-" + i);
      ts.add(th);
      th.start();
    }
    long t0 = System.nanoTime();
    deadline[0] = t0 + (long) (seconds * 1e9);
    start.countDown();
    for (Thread th : ts) {
      th.join();
    }
    double elapsed = (System.nanoTime() - t0) / 1e9;
    if (failure.get() != null) {
      throw new IllegalStateException("writer failed", failure.get());
    }
    return new double[] {done.get() / elapsed, done.get()};
  }
}
