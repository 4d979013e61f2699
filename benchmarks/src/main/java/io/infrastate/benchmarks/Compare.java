package io.infrastate.benchmarks;

import io.infrastate.AuditEntry;
import io.infrastate.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.codec.StateCodec;
import io.infrastate.file.FileBackend;
import io.infrastate.spi.Backend;
import io.infrastate.spi.Change;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.VersionToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The comparison harness: every contender measured in the same run, one table per scenario, with
 * ratios to the physical floor, and the targets checked against the numbers.
 *
 * <p>Contenders: infrastate's file backend (whole-file writes), its journal mode, the Java port of
 * Go-FTL2 as written and with fsync, SQLite (WAL, synchronous=FULL), and the floors (raw Jackson
 * serialize/parse of the same data; a bare temp-write + fsync + rename + directory fsync).
 *
 * <p>Scenarios at each N (hosts, and as many resources): single durable write; a batch of N adds
 * in one update; load; reads while a writer writes; 1, 2, 4 and 8 writer threads; the heap a loaded
 * state retains (in a fresh JVM).
 *
 * <p>Not thread-safe; one run per instance.
 */
public final class Compare {
  private final int[] sizes;
  private final Path work;
  private final Path out;
  private final boolean quick;
  private final boolean heap;
  private final java.util.Set<String> only;
  private final String command;
  private final PrintStream log;
  private final Map<String, Table> tables = new LinkedHashMap<>();
  private final Map<String, Double> metrics = new TreeMap<>();
  private final List<String> notes = new ArrayList<>();
  /** Per N of the reads scenario, the device interrupts each CPU took during it (where Linux tells). */
  private final List<String> readsInterrupts = new ArrayList<>();
  /** Keys of the hosts the writers add, unique within the JVM. */
  private static final AtomicLong SEQ = new AtomicLong();

  /** The history the file backend keeps in every scenario that writes: {@link FileBackend}'s default. */
  private static final int HISTORY = 20;

  private int[] writerThreads = {1, 2, 4, 8};
  private String loadStart = "?";
  private String loadEnd = "?";

  /**
   * Creates a harness.
   *
   * @param sizes the values of N
   * @param work a scratch directory (on the disk to measure)
   * @param out where the markdown report goes
   * @param quick one iteration per measurement and short windows (smoke test)
   * @param heap whether to measure the heap in child JVMs
   * @param only the scenarios to run (single, batch, load, reads, writers, processes, heap); empty for all
   * @param command the command line, for the report
   * @param log where progress goes
   */
  public Compare(int[] sizes, Path work, Path out, boolean quick, boolean heap, java.util.Set<String> only, String command, PrintStream log) {
    this.only = java.util.Set.copyOf(only);
    this.sizes = sizes.clone();
    this.work = work;
    this.out = out;
    this.quick = quick;
    this.heap = heap;
    this.command = command;
    this.log = log;
  }

  /**
   * Sets the thread counts of the concurrent-writers scenario (default 1, 2, 4, 8); the 8/1 ratio
   * of the targets needs 1 and 8 among them.
   *
   * @param threads the thread counts, each at least 1
   * @return this harness
   * @throws IllegalArgumentException if none is given or one is below 1
   */
  public Compare writerThreads(int... threads) {
    if (threads.length == 0 || java.util.Arrays.stream(threads).anyMatch(t -> t < 1)) {
      throw new IllegalArgumentException("writer thread counts must be at least 1: " + java.util.Arrays.toString(threads));
    }
    this.writerThreads = threads.clone();
    return this;
  }

  // ------------------------------------------------------------------ tables

  /** One scenario's table: contenders by row, a column group per N. Not thread-safe. */
  private static final class Table {
    final String title;
    final String about;
    final List<String> subColumns;
    final Map<String, Map<Integer, List<String>>> rows = new LinkedHashMap<>();

    Table(String title, String about, List<String> subColumns) {
      this.title = title;
      this.about = about;
      this.subColumns = subColumns;
    }

    void put(String row, int n, String... cells) {
      rows.computeIfAbsent(row, r -> new LinkedHashMap<>()).put(n, List.of(cells));
    }

    String render(int[] sizes) {
      StringBuilder sb = new StringBuilder();
      sb.append("### ").append(title).append("\n\n").append(about).append("\n\n| contender |");
      for (int n : sizes) {
        for (String c : subColumns) {
          sb.append(" N=").append(label(n)).append(c.isEmpty() ? "" : " " + c).append(" |");
        }
      }
      sb.append("\n|---|");
      for (int i = 0; i < sizes.length * subColumns.size(); i++) {
        sb.append("---:|");
      }
      sb.append('\n');
      for (Map.Entry<String, Map<Integer, List<String>>> r : rows.entrySet()) {
        sb.append("| ").append(r.getKey()).append(" |");
        for (int n : sizes) {
          List<String> cells = r.getValue().get(n);
          for (int i = 0; i < subColumns.size(); i++) {
            sb.append(' ').append(cells == null || i >= cells.size() ? "–" : cells.get(i)).append(" |");
          }
        }
        sb.append('\n');
      }
      return sb.toString();
    }
  }

  private Table table(String key, String title, String about, String... subColumns) {
    return tables.computeIfAbsent(key, k -> new Table(title, about, List.of(subColumns)));
  }

  static String label(int n) {
    return n >= 1000 && n % 1000 == 0 ? (n / 1000) + "k" : String.valueOf(n);
  }

  // ------------------------------------------------------------------ sampling

  @FunctionalInterface
  private interface Op {
    void run(long i) throws Exception;
  }

  /**
   * Measures several ops in rounds, one run of each per round, so that drift (the disk, the
   * collector, the other processes) falls on all of them alike. Each round starts one op further
   * along the list, so that every op follows every other equally often: an op that leaves the
   * disk work (blocks to free and discard at the next journal commit, pages to write back) would
   * otherwise bill it to the same successor in every round. Warms up as {@link #sample} does,
   * counting rounds. Returns the times per op.
   */
  private long[][] interleaved(int warmup, int samples, Op... ops) throws Exception {
    return interleaved(warmup, 1.5, samples, ops);
  }

  /** As {@link #interleaved(int, int, Op...)}, warming up for at least {@code warmupSeconds}. */
  private long[][] interleaved(int warmup, double warmupSeconds, int samples, Op... ops) throws Exception {
    if (quick) {
      warmup = Math.min(warmup, 1);
      samples = 1;
    }
    long until = System.nanoTime() + (quick ? 0 : (long) (warmupSeconds * 1e9));
    for (int i = 0; i < warmup || (System.nanoTime() < until && i < 500); i++) {
      for (Op op : ops) {
        op.run(SEQ.getAndIncrement());
      }
    }
    long[][] t = new long[ops.length][samples];
    for (int r = 0; r < samples; r++) {
      for (int j = 0; j < ops.length; j++) {
        int k = (r + j) % ops.length;
        long i0 = SEQ.getAndIncrement();
        long t0 = System.nanoTime();
        ops[k].run(i0);
        t[k][r] = System.nanoTime() - t0;
      }
    }
    return t;
  }

  private long[] sample(int warmup, int samples, Op op) throws Exception {
    if (quick) {
      warmup = Math.min(warmup, 1);
      samples = 1;
    }
    // warm up: at least `warmup` runs and, outside quick mode, at least 1.5 s (JIT), at most 500
    // runs; warmup 0 means a one-shot measurement
    long until = System.nanoTime() + (quick || warmup == 0 ? 0 : 1_500_000_000L);
    for (int i = 0; i < warmup || (System.nanoTime() < until && i < 500); i++) {
      op.run(SEQ.getAndIncrement());
    }
    long[] t = new long[samples];
    for (int i = 0; i < samples; i++) {
      long i0 = SEQ.getAndIncrement();
      long t0 = System.nanoTime();
      op.run(i0);
      t[i] = System.nanoTime() - t0;
    }
    return t;
  }

  private int wholeFileSamples(int n) {
    return n <= 1_000 ? 30 : n <= 10_000 ? 15 : 11;
  }

  private Path fresh(String name) throws IOException {
    Path d = work.resolve(name + "-" + (SEQ.getAndIncrement()));
    Files.createDirectories(d);
    return d;
  }

  private static void gc() {
    System.gc();
    System.gc();
  }

  private static StateOptions options() {
    return StateOptions.builder().operator("bench@localhost").build();
  }

  /**
   * Saves through a file backend's state until its history is full, as in steady use: a history
   * that never fills deletes nothing, and at 100k a scenario's timed saves are fewer than its
   * versions, while every save with a full history deletes the oldest (87 MB of blocks freed at
   * 100k), as every save without history deletes the version before the backup and the floor's
   * replace the file it replaces.
   */
  private static void fillHistory(State state) {
    for (int k = 0; k <= HISTORY; k++) {
      state.addHost(Data.newHost(SEQ.getAndIncrement()));
    }
  }

  static void create(Backend backend, Snapshot s) {
    SaveResult r = backend.save(new SaveRequest(VersionToken.absent(), s, List.of(new Change.ReplaceAll(s)), new AuditEntry("bench", "create", "")));
    if (!(r instanceof SaveResult.Saved)) {
      throw new IllegalStateException("could not create the benchmark state: " + r);
    }
  }

  private void progress(String what) {
    log.printf(Locale.ROOT, "[%tT] %s%n", System.currentTimeMillis(), what);
  }

  private void record(String scenario, String contender, int n, long[] t, double floor) {
    double med = Stats.median(t);
    metrics.put(scenario + "/" + contender + "/" + n, med);
    Table tb = tables.get(scenario);
    tb.put(contender, n, Stats.time(med), Stats.time(Stats.percentile(t, 90)), Double.isNaN(floor) ? "–" : Stats.ratio(med / floor));
    progress(String.format(Locale.ROOT, "%-8s N=%-6s %-58s median %s", scenario, label(n), contender, Stats.time(med)));
  }

  // ------------------------------------------------------------------ run

  /**
   * Runs every scenario at every N and writes the report.
   *
   * @throws Exception if a contender fails
   */
  public void run() throws Exception {
    Files.createDirectories(work);
    long started = System.nanoTime();
    loadStart = loadAverage();
    table("single", "Single durable write",
        "Latency of one write that adds one host to a state of N hosts + N resources and returns once it is durable"
            + " (Go as written: once renamed, not durable). Median and p90 of repeated writes; ratio to the full-file floor:"
            + " the median of a raw Jackson serialize of the whole state (the fastest of databind, streaming with java.time, and streaming with infrastate's RFC 3339"
            + " formatter; CPU only) plus"
            + " the median of a bare durable replace of those bytes (temp write + fsync + rename + directory fsync), timed"
            + " separately, in rounds with the whole-file contenders. The file backend with history (here and in"
            + " the scenarios below) has its history full before it is timed, as in steady use: each of its saves"
            + " then deletes the oldest version, as each save without history deletes the version before the"
            + " backup, and the floor's replace the file it replaces.",
        "median", "p90", "×floor");
    table("batch", "Batch of N adds in one update",
        "N hosts + N resources added to an empty state in one transaction, until durable. Ratio to the floor"
            + " (median raw serialize of the resulting state, the fastest of the three ways, + median durable replace"
            + " of those bytes). Go-FTL2 has no batch: each add rewrites the file.",
        "median", "p90", "×floor");
    table("load", "Load",
        "Open and read a stored state of N hosts + N resources into memory (file in the page cache). Ratio to the floor"
            + " (read the file + raw Jackson parse into plain objects, the fastest of databind, streaming with java.time,"
            + " streaming with infrastate's RFC 3339 parser, and the same without Jackson's table of member names, which"
            + " a large state's keys overflow; no checks). The rows above the first-load rows are measured in"
            + " this JVM after a warm-up of at least 5 s (steady state, the JIT done); the first-load rows each start a fresh"
            + " JVM and time its one load, class loading and cold code included (not the JVM's own start), against the same"
            + " floors measured the same way.",
        "median", "p90", "×floor");
    table("reads", "Reads while a writer writes",
        "One reader thread calls getHost (random names) for a window alone, then while one writer thread adds hosts durably"
            + " — flat out, then paced at 20 writes/s (or as fast as it can if slower) — in " + rounds() + " rounds. Reads/s"
            + " alone; for each writer the reads/s ratio to alone in the same round, the reader's p99.9 latency (sampled) and"
            + " the writes/s achieved: medians over the rounds. On 2 CPUs a flat-out"
            + " writer takes one CPU (and the GC more), so the flat-out ratio measures CPU sharing as much as blocking. The two"
            + " floors read from a State that nobody writes while a bare durable writer with no library code runs beside the"
            + " reader: what they lose is what any durable writer costs a reader on this machine.",
        "reads/s alone", "ratio flat out", "p99.9", "writes/s", "ratio paced", "p99.9", "writes/s");
    List<String> writerColumns = new ArrayList<>();
    for (int t : writerThreads) {
      writerColumns.add("T=" + t);
    }
    writerColumns.add("8/1");
    table("writers", "Concurrent writers",
        "T threads each add hosts durably through one shared handle (SQLite: a connection per thread) for a window, every T"
            + " once per round, in " + rounds() + " rounds. Median durable writes/s for T = "
            + java.util.Arrays.stream(writerThreads).mapToObj(String::valueOf).collect(java.util.stream.Collectors.joining(", "))
            + " and the median of the rounds' 8-thread/1-thread ratios (infrastate and the floors: with group commit, also"
            + " writes per commit at 8 threads). The floors commit groups of bare 300-byte records with no library code; their"
            + " waiting writers park (woken one by one) or yield the CPU until done: what the wait itself costs on this machine.",
        writerColumns.toArray(new String[0]));
    table("processes", "Concurrent writer processes",
        "P separate JVMs (default options, each its own State and backend on one state of N hosts + N resources) add"
            + " hosts durably, flat out, for the same window. Total durable writes/s, the most writes of other processes"
            + " stored between two consecutive writes of one process (how long a writer waited for its turn: fairness),"
            + " and the writes that failed with a conflict. Compare with the threads of the table above, which share one"
            + " handle.",
        "P=4 writes/s", "max waited", "failed", "P=8 writes/s", "max waited", "failed");
    if (heap) {
      table("heap", "Memory of a loaded state",
          "Retained heap after loading the state in a fresh JVM (serial GC, used heap after full GC minus before), the peak"
              + " heap during the load, the state.json size and the retained/file ratio.",
          "retained", "peak", "file", "ratio");
    }

    double smallFloor = measureSmallFloor();
    for (int n : sizes) {
      progress("=== N = " + n + " hosts + " + n + " resources");
      Snapshot s = Data.snapshot(n);
      if (runs("single")) {
        single(n, s, smallFloor);
        gc();
      }
      if (runs("batch")) {
        batch(n, s);
        gc();
      }
      if (runs("load")) {
        load(n, s);
        gc();
      }
      if (runs("reads")) {
        reads(n, s);
        gc();
      }
      if (runs("writers")) {
        writers(n, s);
        gc();
      }
      if (runs("processes")) {
        processes(n, s);
        gc();
      }
      if (heap && runs("heap")) {
        heap(n, s);
      }
      s = null;
      gc();
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    loadEnd = loadAverage();
    String report = report(took);
    if (out.getParent() != null) {
      Files.createDirectories(out.getParent());
    }
    Files.writeString(out, report, StandardCharsets.UTF_8);
    log.println();
    log.println(report);
    log.println("Report written to " + out.toAbsolutePath());
    deleteTree(work);
  }

  private boolean runs(String scenario) {
    return only.isEmpty() || only.contains(scenario);
  }

  // ------------------------------------------------------------------ scenarios

  private double measureSmallFloor() throws Exception {
    Path d = fresh("floor-small");
    Path f = d.resolve("small.json");
    byte[] bytes = "x".repeat(300).getBytes(StandardCharsets.UTF_8);
    long[] t = sample(20, 200, i -> Floors.durableReplace(f, bytes));
    double med = Stats.median(t);
    metrics.put("floor-small", med);
    progress("floor: bare durable replace of 300 bytes: median " + Stats.time(med) + ", p90 " + Stats.time(Stats.percentile(t, 90)));
    notes.add("Physical floor of any durable commit on this disk: temp write + fsync + rename + directory fsync of 300 bytes = "
        + Stats.time(med) + " median (p90 " + Stats.time(Stats.percentile(t, 90)) + "); one fdatasync of a small append is"
        + " roughly half of it.");
    return med;
  }

  private void single(int n, Snapshot s, double smallFloor) throws Exception {
    int whole = wholeFileSamples(n);
    byte[] encoded = StateCodec.encode(s);
    metrics.put("size/" + n, (double) encoded.length);
    encoded = null;

    // The floor and infrastate's whole-file writes, interleaved (one of each per round) so that the
    // disk's drift and the collector's pauses fall on all of them alike.
    GoFtl2.StateFile plain = Floors.plain(s);
    Path fd = fresh("floor");
    Path d1 = fresh("file");
    Path d1b = fresh("file-nohist");
    double floor;
    try (FileBackend history = FileBackend.builder(d1.resolve("state.json")).historyRetention(HISTORY).build();
        FileBackend noHistory = FileBackend.builder(d1b.resolve("state.json")).historyRetention(0).build()) {
      create(history, s);
      create(noHistory, s);
      try (State withHistory = State.load(history, options()); State without = State.load(noHistory, options())) {
        fillHistory(withHistory);
        WithFloor m = withWholeFileFloor("single", n, plain, fd, 2, whole,
            i -> withHistory.addHost(Data.newHost(i)),
            i -> without.addHost(Data.newHost(i)));
        floor = m.floor();
        record("single", "infrastate file (whole file, history 20)", n, m.times()[0], floor);
        record("single", "infrastate file (whole file, no history)", n, m.times()[1], floor);
      }
    }
    metrics.put("floor-write/" + n, floor);
    long[] smallT = sample(20, 100, i -> Floors.durableReplace(fd.resolve("small"), new byte[300]));
    record("single", "floor: bare durable replace of 300 B", n, smallT, floor);
    gc();

    // infrastate, journal mode
    Path d2 = fresh("journal");
    try (FileBackend backend = FileBackend.builder(d2.resolve("state.json")).journal(true).build()) {
      create(backend, s);
      try (State state = State.load(backend, options())) {
        long[] t = sample(20, 200, i -> state.addHost(Data.newHost(i)));
        record("single", "infrastate journal (State.addHost)", n, t, floor);
      }
      // the backend alone: what a write costs without the State's copy of its maps
      io.infrastate.spi.StoredState[] cur = {backend.load().orElseThrow()};
      long[] t = sample(20, 200, i -> {
        Snapshot base = cur[0].snapshot();
        Snapshot next = base.withMetadata(base.metadata().withSerial(base.metadata().serial() + 1, java.time.Instant.now()));
        SaveResult r = backend.save(new SaveRequest(cur[0].token(), next, List.of(new Change.PutHost(Data.newHost(i))), new AuditEntry("bench", "add host", "")));
        cur[0] = new io.infrastate.spi.StoredState(next, ((SaveResult.Saved) r).token());
      });
      record("single", "infrastate journal (backend.save alone)", n, t, floor);
      long[] compactT = sample(0, 1, i -> backend.compact());
      record("single", "infrastate journal: one compaction (background, off the write path)", n, compactT, floor);
    }
    gc();

    // the State's own per-write cost, without storage
    try (State state = State.load(new NullBackend(s), options())) {
      long[] t = sample(20, n >= 100_000 ? 60 : 200, i -> state.addHost(Data.newHost(i)));
      record("single", "core: State.addHost over a no-op backend (State's own CPU)", n, t, floor);
    }
    long[] copyT = sample(5, n >= 100_000 ? 30 : 100, i -> new TreeMap<>(s.hosts()).size());
    record("single", "reference: copying an N-entry TreeMap (a copy-on-write per write would cost this)", n, copyT, floor);
    gc();

    // Go-FTL2 port
    for (boolean durable : new boolean[] {false, true}) {
      Path d = fresh(durable ? "go-fsync" : "go");
      GoFtl2.State go = GoFtl2.State.create(d.resolve("state.json"), durable, s);
      long[] t = sample(2, whole, i -> go.addHost(GoFtl2.fromHost(Data.newHost(i))));
      String name = durable ? "Go-FTL2 port + fsync" : "Go-FTL2 port as written (no fsync)";
      record("single", name, n, t, floor);
      metrics.put("go-single/" + durable + "/" + n, Stats.median(t));
      gc();
    }

    // SQLite
    Path d3 = fresh("sqlite");
    try (SqliteStore db = new SqliteStore(d3.resolve("state.db"))) {
      db.putAll(s);
      long[] t = sample(20, 200, i -> db.putHost(Data.newHost(i)));
      record("single", "SQLite WAL synchronous=FULL (one upsert)", n, t, floor);
    }
    interleaved(n, s, floor);
    deleteTree(fd);
    deleteTree(d1);
    deleteTree(d1b);
    deleteTree(d2);
    deleteTree(d3);
    if (n == sizes[0]) {
      notes.add("Floor for a small durable commit measured once more per N as the row 'floor: bare durable replace of 300 B'"
          + " (first measurement: " + Stats.time(smallFloor) + ").");
    }
  }

  /**
   * The journal against SQLite with the disk's drift controlled: blocks of 20 writes to each,
   * alternating, 10 rounds; the medians over all rounds.
   */
  private void interleaved(int n, Snapshot s, double floor) throws Exception {
    Path dj = fresh("ab-journal");
    Path dq = fresh("ab-sqlite");
    int rounds = quick ? 1 : 10;
    int block = quick ? 1 : 20;
    long[] tj = new long[rounds * block];
    long[] tq = new long[rounds * block];
    try (FileBackend backend = FileBackend.builder(dj.resolve("state.json")).journal(true).build(); SqliteStore db = new SqliteStore(dq.resolve("state.db"))) {
      create(backend, s);
      db.putAll(s);
      try (State state = State.load(backend, options())) {
        sample(20, 1, i -> state.addHost(Data.newHost(i)));
        sample(20, 1, i -> db.putHost(Data.newHost(i)));
        for (int r = 0; r < rounds; r++) {
          for (int k = 0; k < block; k++) {
            long i = SEQ.getAndIncrement();
            long t0 = System.nanoTime();
            state.addHost(Data.newHost(i));
            tj[r * block + k] = System.nanoTime() - t0;
          }
          for (int k = 0; k < block; k++) {
            long i = SEQ.getAndIncrement();
            long t0 = System.nanoTime();
            db.putHost(Data.newHost(i));
            tq[r * block + k] = System.nanoTime() - t0;
          }
        }
      }
    }
    record("single", "A/B interleaved: infrastate journal (State.addHost)", n, tj, floor);
    record("single", "A/B interleaved: SQLite WAL FULL (one upsert)", n, tq, floor);
    deleteTree(dj);
    deleteTree(dq);
  }

  private void batch(int n, Snapshot s) throws Exception {
    int reps = n <= 1_000 ? 5 : 3;
    GoFtl2.StateFile plain = Floors.plain(s);
    Path fd = fresh("bfloor");
    double floor = withWholeFileFloor("batch", n, plain, fd, 1, reps).floor();
    deleteTree(fd);

    for (boolean journal : new boolean[] {false, true}) {
      long[] t = sample(1, reps, i -> {
        Path d = fresh(journal ? "bjournal" : "bfile");
        Backend backend = journal ? FileBackend.builder(d.resolve("state.json")).journal(true).build() : FileBackend.at(d.resolve("state.json"));
        try (backend; State state = State.load(backend, options())) {
          state.save();
          long t0 = System.nanoTime();
          // the values are built beforehand, as the floor's plain objects are
          state.update(tx -> {
            s.hosts().values().forEach(tx::addHost);
            s.resources().forEach(tx::addResource);
          });
          innerBuffer.add(System.nanoTime() - t0);
        }
        deleteTree(d);
      });
      // the timed part is the update alone (opening, creating and closing are not)
      long[] inner = innerTimes(t);
      record("batch", journal ? "infrastate journal (one update)" : "infrastate file (one update)", n, inner, floor);
      gc();
    }

    Path dq = fresh("bsqlite");
    long[] sq = sample(1, reps, i -> {
      Path f = dq.resolve("db-" + i + ".db");
      try (SqliteStore db = new SqliteStore(f)) {
        long t0 = System.nanoTime();
        db.putAll(s);
        innerBuffer.add(System.nanoTime() - t0);
      }
    });
    record("batch", "SQLite WAL FULL (2N upserts, one transaction)", n, innerTimes(sq), floor);
    deleteTree(dq);

    for (boolean durable : new boolean[] {false, true}) {
      String name = durable ? "Go-FTL2 port + fsync (N+N AddHost/AddResource)" : "Go-FTL2 port as written (N+N adds)";
      if (n <= 200 && !quick) {
        long[] t = sample(0, 1, i -> {
          Path d = fresh("bgo");
          GoFtl2.State go = GoFtl2.State.load(d.resolve("state.json"), durable);
          for (int k = 0; k < n; k++) {
            go.addHost(GoFtl2.fromHost(Data.host(k)));
            go.addResource(Data.resourceKey(k), GoFtl2.fromResource(Data.resource(k)));
          }
          deleteTree(d);
        });
        record("batch", name, n, t, floor);
      } else {
        // 2N whole-file rewrites of a file growing from 0 to N: quadratic, minutes to hours; not run.
        // Lower bound: the average rewrite costs at least half of one at N (measured above).
        double single = metrics.getOrDefault("go-single/" + durable + "/" + n, Double.NaN);
        double est = single * 2 * n / 2;
        tables.get("batch").put(name, n, "≥ " + Stats.time(est) + " (est.)", "not run", "≥ " + Stats.ratio(est / floor));
        metrics.put("batch/" + name + "/" + n, est);
      }
    }
  }

  /**
   * Measures the whole-file floor of a state and times the contenders in the same rounds. The
   * floor is the median of the fastest raw serialize (see {@link #recordFloor}) plus the median of
   * a bare durable replace of those bytes; serialize and replace in one go is timed as a
   * cross-check. Records the floor's rows.
   */
  private WithFloor withWholeFileFloor(String scenario, int n, GoFtl2.StateFile plain, Path dir, int warmup, int samples, Op... contenders)
      throws Exception {
    Path file = dir.resolve("state.json");
    byte[] bytes = Floors.serializeStreaming(plain, Floors.Times.FAST);
    Op[] ops = new Op[FLOOR_OPS + contenders.length];
    ops[0] = i -> Floors.serialize(plain);
    ops[1] = i -> Floors.serializeStreaming(plain);
    ops[2] = i -> Floors.serializeStreaming(plain, Floors.Times.FAST);
    ops[3] = i -> Floors.serializeStreaming(plain, Floors.Times.NONE);
    ops[4] = i -> Floors.durableReplace(file, bytes);
    ops[5] = i -> Floors.durableReplace(file, Floors.serializeStreaming(plain, Floors.Times.FAST));
    System.arraycopy(contenders, 0, ops, FLOOR_OPS, contenders.length);
    long[][] t = interleaved(warmup, samples, ops);
    return new WithFloor(recordFloor(scenario, n, t), java.util.Arrays.copyOfRange(t, FLOOR_OPS, t.length));
  }

  /** How many ops {@link #withWholeFileFloor} times for the floor before the contenders. */
  private static final int FLOOR_OPS = 6;

  /** A whole-file floor and the times of the contenders measured in rounds with it. */
  private record WithFloor(double floor, long[][] times) {}

  /**
   * Records the floor's rows and returns the floor, from times of: databind serialize, streaming
   * serialize with java.time, streaming with the fast timestamp formatter, streaming without
   * formatting timestamps (a reference, not part of the floor), durable replace of the bytes, and
   * serialize + replace in one go (a cross-check).
   */
  private double recordFloor(String scenario, int n, long[][] t) {
    long[] serDb = t[0];
    long[] serSt = t[1];
    long[] serFast = t[2];
    long[] serNone = t[3];
    long[] replace = t[4];
    long[] oneGo = t[5];
    double serialize = Math.min(Stats.median(serFast), Math.min(Stats.median(serDb), Stats.median(serSt)));
    double floor = serialize + Stats.median(replace);
    Table tb = tables.get(scenario);
    tb.put("floor: raw serialize + durable replace (the fastest serialize below + the durable replace, medians summed)", n, Stats.time(floor), "–", Stats.ratio(1.0));
    metrics.put(scenario + "-floor/" + n, floor);
    record(scenario, "floor: raw serialize, Jackson databind (CPU)", n, serDb, floor);
    record(scenario, "floor: raw serialize, Jackson streaming, java.time formatter (CPU)", n, serSt, floor);
    record(scenario, "floor: raw serialize, Jackson streaming, infrastate's RFC 3339 formatter (CPU)", n, serFast, floor);
    record(scenario, "reference: raw serialize, Jackson streaming, timestamps not formatted (CPU; not a floor)", n, serNone, floor);
    record(scenario, "floor: durable replace of the serialized bytes (temp, fsync, rename, dir fsync)", n, replace, floor);
    record(scenario, "cross-check: serialize + durable replace in one go", n, oneGo, floor);
    return floor;
  }

  /** Times of the part of an op that is measured (the update, not the setup), in run order. */
  private final List<Long> innerBuffer = new ArrayList<>();

  /** The inner times of the last sample() call's measured runs (warmup runs come first). */
  private long[] innerTimes(long[] outer) {
    long[] inner = new long[outer.length];
    int from = innerBuffer.size() - outer.length;
    for (int i = 0; i < outer.length; i++) {
      inner[i] = innerBuffer.get(from + i);
    }
    innerBuffer.clear();
    return inner;
  }

  private void load(int n, Snapshot s) throws Exception {
    int reps = n <= 1_000 ? 20 : n <= 10_000 ? 10 : 5;
    GoFtl2.StateFile plain = Floors.plain(s);
    Path fd = fresh("lfloor");
    Path ff = fd.resolve("state.json");
    Floors.durableReplace(ff, Floors.serialize(plain));
    Path d1 = fresh("lfile");
    Path f1 = d1.resolve("state.json");
    try (FileBackend b = FileBackend.at(f1)) {
      create(b, s);
    }
    Path d2 = fresh("ljournal");
    Path f2 = d2.resolve("state.json");
    try (FileBackend b = FileBackend.builder(f2).journal(true).build()) {
      create(b, s);
    }
    Path d2r = fresh("ljournal-records");
    Path f2r = d2r.resolve("state.json");
    try (FileBackend b = FileBackend.builder(f2r).journal(true).compactEvery(100_000_000).build()) {
      create(b, s);
      io.infrastate.spi.StoredState cur = b.load().orElseThrow();
      for (int k = 0; k < (quick ? 20 : 1000); k++) {
        Snapshot base = cur.snapshot();
        Snapshot next = base.withMetadata(base.metadata().withSerial(base.metadata().serial() + 1, java.time.Instant.now()));
        SaveResult r = b.save(new SaveRequest(cur.token(), next, List.of(new Change.PutHost(Data.newHost(k))), new AuditEntry("bench", "add", "")));
        cur = new io.infrastate.spi.StoredState(next, ((SaveResult.Saved) r).token());
      }
    }
    gc();
    // the floors and infrastate's loads interleaved, so that drift falls on all alike
    List<Op> ops = new ArrayList<>();
    for (String kind : ColdLoad.FLOORS) {
      ops.add(i -> ColdLoad.load(kind, ff));
    }
    int f = ops.size();
    ops.add(i -> Floors.parseStreaming(Files.readAllBytes(ff), Floors.Times.NONE));
    ops.add(i -> ColdLoad.load("infrastate", f1));
    ops.add(i -> {
      try (FileBackend b = FileBackend.builder(f2).journal(true).build()) {
        b.load().orElseThrow();
      }
    });
    ops.add(i -> {
      try (FileBackend b = FileBackend.builder(f2r).journal(true).compactEvery(100_000_000).build()) {
        b.load().orElseThrow();
      }
    });
    long[][] t = interleaved(2, 5.0, reps, ops.toArray(new Op[0]));
    double floor = parseFloors("", "floor-parse", n, java.util.Arrays.copyOf(t, f));
    record("load", "reference: read + Jackson streaming parse, timestamps not converted (not a floor)", n, t[f], floor);
    record("load", "infrastate file", n, t[f + 1], floor);
    record("load", "infrastate journal (just compacted)", n, t[f + 2], floor);
    record("load", "infrastate journal + 1,000 records to replay", n, t[f + 3], floor);
    gc();

    Path d3 = fresh("lgo");
    Path f3 = d3.resolve("state.json");
    GoFtl2.State.create(f3, false, s);
    long[] t4 = sample(2, reps, i -> GoFtl2.State.load(f3, false));
    record("load", "Go-FTL2 port (read + unmarshal)", n, t4, floor);
    gc();

    Path d4 = fresh("lsqlite");
    try (SqliteStore db = new SqliteStore(d4.resolve("state.db"))) {
      db.putAll(s);
    }
    long[] t5 = sample(2, reps, i -> {
      try (SqliteStore db = new SqliteStore(d4.resolve("state.db"))) {
        db.loadAll();
      }
    });
    record("load", "SQLite (select all + decode rows)", n, t5, floor);
    coldLoad(n, ff, f1);
    for (Path p : List.of(fd, d1, d2, d2r, d3, d4)) {
      deleteTree(p);
    }
  }

  /**
   * The first load in a fresh JVM, as a command-line tool loads once per run: infrastate's file
   * backend against the four raw parses of the same data, one child JVM per load, in rounds.
   */
  private void coldLoad(int n, Path floorFile, Path stateFile) throws Exception {
    int rounds = quick ? 1 : n <= 10_000 ? 7 : 3;
    List<String> kinds = ColdLoad.KINDS;
    long[][] t = new long[kinds.size()][rounds];
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < kinds.size(); k++) {
        t[k][r] = ColdLoad.measureInChild(kinds.get(k), kinds.get(k).equals("infrastate") ? stateFile : floorFile);
      }
    }
    double floor = parseFloors("first load in a fresh JVM, ", "cold-floor-parse", n, java.util.Arrays.copyOfRange(t, 1, t.length));
    record("load", "first load in a fresh JVM, infrastate file", n, t[0], floor);
  }

  /**
   * Records the raw parses of the load scenario ({@link ColdLoad#FLOORS}, their times in that order)
   * and their fastest as the floor (under {@code metric}); returns the floor's median.
   */
  private double parseFloors(String prefix, String metric, int n, long[][] floors) {
    long[] floorT = floors[0];
    for (long[] other : floors) {
      floorT = Stats.median(other) < Stats.median(floorT) ? other : floorT;
    }
    double floor = Stats.median(floorT);
    metrics.put(metric + "/" + n, floor);
    record("load", prefix + "floor: " + ColdLoad.FLOOR, n, floorT, floor);
    for (int k = 0; k < floors.length; k++) {
      record("load", prefix + "floor: " + ColdLoad.describe(ColdLoad.FLOORS.get(k)), n, floors[k], floor);
    }
    return floor;
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
    Path d = fresh("c-" + kind);
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
    if (quick) {
      return 0.1;
    }
    return n >= 100_000 ? 3.0 : 2.0;
  }

  private void reads(int n, Snapshot s) throws Exception {
    String[] names = Data.hostNames(n);
    double window = window(n) / 2;
    int rounds = rounds();
    Affinity.Interrupts interrupts = Affinity.deviceInterrupts();
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
        metrics.put("reads/" + kind + "/" + n, ratio);
        metrics.put("reads-paced/" + kind + "/" + n, pacedMedian);
        tables.get("reads").put(contenderName(kind), n, Stats.rate(aloneRate), Stats.ratio(ratio), Stats.time(Stats.median(column(flat, 1))),
            Stats.rate(Stats.median(column(flat, 2))), Stats.ratio(pacedMedian), Stats.time(Stats.median(column(paced, 1))),
            Stats.rate(Stats.median(column(paced, 2))));
        progress(String.format(Locale.ROOT, "reads    N=%-6s %-58s by round: alone %s; writing flat out %s (writer %s); paced %s (writer %s)", label(n),
            contenderName(kind), rates(column(alone, 0)), ratios(flatRatio), rates(column(flat, 2)), ratios(pacedRatio), rates(column(paced, 2))));
      }
      gc();
    }
    Affinity.interruptsBetween(interrupts, Affinity.deviceInterrupts()).ifPresent(i -> readsInterrupts.add("N=" + label(n) + " (" + i + ")"));
  }

  /** How many rounds the reads and writers scenarios alternate their measurements in. */
  private int rounds() {
    return quick ? 1 : 3;
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

  private void writers(int n, Snapshot s) throws Exception {
    double window = window(n) / 2;
    int rounds = rounds();
    for (String kind : CONCURRENT) {
      double[][] rates = new double[writerThreads.length][rounds];
      double[] eightToOne = new double[rounds];
      double[] perCommit = new double[rounds];
      java.util.Arrays.fill(eightToOne, Double.NaN);
      java.util.Arrays.fill(perCommit, Double.NaN);
      try (Target t = target(kind, n, s, java.util.Arrays.stream(writerThreads).max().orElse(8))) {
        writeLoop(t, 1, quick ? 0.05 : 0.5);
        // every thread count once per round, the ratio taken within each round (see reads)
        for (int r = 0; r < rounds; r++) {
          double one = Double.NaN;
          for (int i = 0; i < writerThreads.length; i++) {
            int threads = writerThreads[i];
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
      for (int i = 0; i < writerThreads.length; i++) {
        cells.add(Stats.rate(Stats.median(rates[i])));
        progress(String.format(Locale.ROOT, "writers  N=%-6s %-58s T=%d by round: %s", label(n), contenderName(kind), writerThreads[i], rates(rates[i])));
      }
      double ratio = Stats.median(eightToOne);
      double commits = Stats.median(perCommit);
      cells.add(Stats.ratio(ratio) + (Double.isNaN(commits) ? "" : String.format(Locale.ROOT, " (%.1f writes/commit)", commits)));
      progress(String.format(Locale.ROOT, "writers  N=%-6s %-58s 8/1 by round: %s", label(n), contenderName(kind), ratios(eightToOne)));
      metrics.put("writers/" + kind + "/" + n, ratio);
      tables.get("writers").put(contenderName(kind), n, cells.toArray(new String[0]));
      gc();
    }
  }

  private void processes(int n, Snapshot s) throws Exception {
    double window = quick ? 1.0 : 5.0;
    for (String kind : new String[] {"file", "journal"}) {
      List<String> cells = new ArrayList<>();
      for (int p : new int[] {4, 8}) {
        Path d = fresh("p-" + kind);
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
        metrics.put("processes/" + kind + "/" + p + "/" + n, rate);
        progress(String.format(Locale.ROOT, "processes N=%-6s %-58s P=%d: %s writes/s, max waited %d writes, %d failed",
            label(n), contenderName(kind), p, Stats.rate(rate), waited, failed));
        deleteTree(d);
      }
      tables.get("processes").put(contenderName(kind), n, cells.toArray(new String[0]));
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

  private void heap(int n, Snapshot s) throws Exception {
    Path d = fresh("heap");
    Path f = d.resolve("state.json");
    try (FileBackend b = FileBackend.at(f)) {
      create(b, s);
    }
    Path g = d.resolve("go.json");
    GoFtl2.State.create(g, false, s);
    Path tinyF = Files.createDirectories(d.resolve("tiny")).resolve("state.json");
    try (FileBackend b = FileBackend.at(tinyF)) {
      create(b, Data.snapshot(10));
    }
    Path tinyG = d.resolve("tiny-go.json");
    GoFtl2.State.create(tinyG, false, Data.snapshot(10));
    long size = Files.size(f);
    for (String kind : new String[] {"infrastate", "go", "jackson-tree"}) {
      Path file = kind.equals("infrastate") ? f : g;
      long[] r = HeapProbe.measureInChild(kind, file, kind.equals("infrastate") ? tinyF : tinyG);
      double ratio = (double) r[0] / Files.size(file);
      metrics.put("heap/" + kind + "/" + n, ratio);
      String name = kind.equals("infrastate") ? "infrastate (State.load, file backend)"
          : kind.equals("go") ? "Go-FTL2 port (maps of mutable records)" : "Jackson tree (JsonNode) of the same file";
      tables.get("heap").put(name, n, Stats.bytes(r[0]), Stats.bytes(r[1]), Stats.bytes(Files.size(file)), Stats.ratio(ratio));
      progress(String.format(Locale.ROOT, "heap     N=%-6s %-58s retained %s, peak %s, file %s", label(n), name, Stats.bytes(r[0]), Stats.bytes(r[1]), Stats.bytes(size)));
    }
    deleteTree(d);
  }

  // ------------------------------------------------------------------ report

  private String report(Duration took) throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("## Run\n\n");
    sb.append("- date: ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
    sb.append("- command: `").append(command).append("`\n");
    sb.append("- machine: ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs (nproc), ")
        .append(memory()).append(", ").append(cpuModel()).append('\n');
    sb.append("- load average (1/5/15 min) at start: ").append(loadStart).append(", at end: ").append(loadEnd)
        .append(" (other processes on this machine compete for its CPUs and disk)\n");
    sb.append("- disk: ").append(Files.getFileStore(work.getParent() == null ? work : work.getParent()).type())
        .append(" at ").append(work.toAbsolutePath()).append('\n');
    sb.append("- java: ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version"))
        .append(", heap max ").append(Runtime.getRuntime().maxMemory() / (1 << 20)).append(" MiB, GC ")
        .append(ManagementFactory.getGarbageCollectorMXBeans().stream().map(b -> b.getName()).reduce((a, b) -> a + "/" + b).orElse("?"))
        .append(", JVM options `").append(String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments())).append("`\n");
    sb.append("- sizes: ");
    for (int i = 0; i < sizes.length; i++) {
      double bytes = metrics.getOrDefault("size/" + sizes[i], Double.NaN);
      sb.append(i > 0 ? ", " : "").append("N=").append(label(sizes[i])).append(" → state.json ")
          .append(Double.isNaN(bytes) ? "size not measured (no scenario that writes it ran)" : Stats.bytes(bytes));
    }
    sb.append('\n');
    sb.append("- run time: ").append(took.toMinutes()).append(" min ").append(took.toSecondsPart()).append(" s").append(quick ? " (quick mode: 1 sample each — not a measurement)" : "").append('\n');
    for (String note : notes) {
      sb.append("- ").append(note).append('\n');
    }
    if (!readsInterrupts.isEmpty()) {
      sb.append("- Device interrupts per CPU during the reads scenario: ").append(String.join(", ", readsInterrupts))
          .append(". The disk's completions are most of them; a reader on the CPU that takes them shares it with the kernel's"
              + " sync work, whoever the writer is.\n");
    }
    sb.append('\n');
    sb.append(targets());
    for (Table t : tables.values()) {
      sb.append('\n').append(t.render(sizes));
    }
    return sb.toString();
  }

  private String targets() {
    StringBuilder sb = new StringBuilder("### Targets (from the issue), checked against this run\n\n| target | N | measured | verdict |\n|---|---:|---|---|\n");
    for (int n : sizes) {
      double floorW = metrics.getOrDefault("floor-write/" + n, Double.NaN);
      double file = metrics.getOrDefault("single/infrastate file (whole file, history 20)/" + n, Double.NaN);
      double fileNoHist = metrics.getOrDefault("single/infrastate file (whole file, no history)/" + n, Double.NaN);
      target(sb, "whole-file write ≤ 1.3× (raw serialize + durable replace)", n, file / floorW, 1.3, true,
          Stats.time(file) + " vs floor " + Stats.time(floorW) + "; without history " + Stats.ratio(fileNoHist / floorW));
      double parse = metrics.getOrDefault("floor-parse/" + n, Double.NaN);
      double load = metrics.getOrDefault("load/infrastate file/" + n, Double.NaN);
      target(sb, "load ≤ 1.3× raw parse (steady state)", n, load / parse, 1.3, true, Stats.time(load) + " vs " + Stats.time(parse));
      double coldParse = metrics.getOrDefault("cold-floor-parse/" + n, Double.NaN);
      double coldLoad = metrics.getOrDefault("load/first load in a fresh JVM, infrastate file/" + n, Double.NaN);
      target(sb, "load ≤ 1.3× raw parse (first load in a fresh JVM)", n, coldLoad / coldParse, 1.3, true, Stats.time(coldLoad) + " vs " + Stats.time(coldParse));
    }
    int big = sizes[sizes.length - 1];
    double bfloor = metrics.getOrDefault("batch-floor/" + big, Double.NaN);
    double bfile = metrics.getOrDefault("batch/infrastate file (one update)/" + big, Double.NaN);
    double bjournal = metrics.getOrDefault("batch/infrastate journal (one update)/" + big, Double.NaN);
    target(sb, "batch of N adds ≤ 1.5× floor (file)", big, bfile / bfloor, 1.5, true, Stats.time(bfile) + " vs " + Stats.time(bfloor));
    target(sb, "batch of N adds ≤ 1.5× floor (journal)", big, bjournal / bfloor, 1.5, true, Stats.time(bjournal) + " vs " + Stats.time(bfloor));
    for (int n : sizes) {
      for (String kind : new String[] {"file", "journal"}) {
        String floorKind = kind.equals("file") ? "floor-whole" : "floor-append";
        String floorName = kind.equals("file") ? "raw serialize + durable replace" : "bare durable small write";
        for (String pace : new String[] {"reads", "reads-paced"}) {
          double r = metrics.getOrDefault(pace + "/" + kind + "/" + n, Double.NaN);
          double f = metrics.getOrDefault(pace + "/" + floorKind + "/" + n, Double.NaN);
          target(sb, "reads while writing ≥ 0.9× reads alone (" + kind + ", writer " + (pace.equals("reads") ? "flat out" : "paced 20/s") + ")", n, r, 0.9, false,
              Stats.ratio(r) + "; with the floor's writer (" + floorName + ") instead: " + Stats.ratio(f));
        }
      }
    }
    for (int n : sizes) {
      for (String kind : new String[] {"file", "journal"}) {
        double r = metrics.getOrDefault("writers/" + kind + "/" + n, Double.NaN);
        String floors = kind.equals("journal")
            ? "; bare group commit instead: " + Stats.ratio(metrics.getOrDefault("writers/floor-group-park/" + n, Double.NaN)) + " parking, "
                + Stats.ratio(metrics.getOrDefault("writers/floor-group-yield/" + n, Double.NaN)) + " yielding"
            : "";
        target(sb, "8 writer threads ≥ 4× durable writes/s of 1 (" + kind + ")", n, r, 4, false, Stats.ratio(r) + floors);
      }
    }
    double sqlite = metrics.getOrDefault("single/SQLite WAL synchronous=FULL (one upsert)/" + big, Double.NaN);
    double jState = metrics.getOrDefault("single/infrastate journal (State.addHost)/" + big, Double.NaN);
    double jBackend = metrics.getOrDefault("single/infrastate journal (backend.save alone)/" + big, Double.NaN);
    target(sb, "journal durable write ≤ SQLite upsert (backend.save)", big, jBackend / sqlite, 1.0, true, Stats.time(jBackend) + " vs SQLite " + Stats.time(sqlite));
    target(sb, "journal durable write ≤ SQLite upsert (through State.addHost)", big, jState / sqlite, 1.0, true, Stats.time(jState) + " vs SQLite " + Stats.time(sqlite));
    for (int n : sizes) {
      double aj = metrics.getOrDefault("single/A/B interleaved: infrastate journal (State.addHost)/" + n, Double.NaN);
      double aq = metrics.getOrDefault("single/A/B interleaved: SQLite WAL FULL (one upsert)/" + n, Double.NaN);
      target(sb, "journal durable write ≤ SQLite upsert (State.addHost, A/B interleaved)", n, aj / aq, 1.0, true, Stats.time(aj) + " vs SQLite " + Stats.time(aq));
    }
    if (heap) {
      double h = metrics.getOrDefault("heap/infrastate/" + big, Double.NaN);
      target(sb, "loaded state ≤ 2× its JSON file on the heap", big, h, 2.0, true, Stats.ratio(h) + " of the file");
    }
    return sb.toString();
  }

  private static void target(StringBuilder sb, String what, int n, double value, double limit, boolean atMost, String measured) {
    String verdict;
    if (Double.isNaN(value)) {
      verdict = "not measured";
    } else if (atMost ? value <= limit : value >= limit) {
      verdict = "**hit** (" + Stats.ratio(value) + ")";
    } else {
      verdict = "**miss** (" + Stats.ratio(value) + ")";
    }
    sb.append("| ").append(what).append(" | ").append(label(n)).append(" | ").append(measured).append(" | ").append(verdict).append(" |\n");
  }

  private static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return parts[0] + " / " + parts[1] + " / " + parts[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String memory() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return String.format(Locale.ROOT, "%.1f GiB RAM", sun.getTotalMemorySize() / (double) (1L << 30));
    }
    return "RAM unknown";
  }

  private static String cpuModel() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(Path.of("/proc/cpuinfo")), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }
}
