package io.infrastate.benchmarks;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.codec.StateCodec;
import io.infrastate.file.FileBackend;
import io.infrastate.spi.Backend;
import io.infrastate.spi.Change;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
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
  final int[] sizes;
  final Path work;
  private final Path out;
  final boolean quick;
  final boolean heap;
  private final java.util.Set<String> only;
  final String command;
  private final PrintStream log;
  private final Concurrent concurrent = new Concurrent(this);
  final Map<String, Table> tables = new LinkedHashMap<>();
  final Map<String, Double> metrics = new TreeMap<>();
  final List<String> notes = new ArrayList<>();
  /** Keys of the hosts the writers add, unique within the JVM. */
  static final AtomicLong SEQ = new AtomicLong();

  /** The history the file backend keeps in every scenario that writes: {@link FileBackend}'s default. */
  static final int HISTORY = 20;

  int[] writerThreads = {1, 2, 4, 8};
  String loadStart = "?";
  String loadEnd = "?";

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

  Table table(String key, String title, String about, String... subColumns) {
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

  Path fresh(String name) throws IOException {
    Path d = work.resolve(name + "-" + (SEQ.getAndIncrement()));
    Files.createDirectories(d);
    return d;
  }

  static void gc() {
    System.gc();
    System.gc();
  }

  static StateOptions options() {
    return StateOptions.builder().operator("bench@localhost").build();
  }

  /**
   * Saves through a file backend's state until its history is full, as in steady use: a history
   * that never fills deletes nothing, and at 100k a scenario's timed saves are fewer than its
   * versions, while every save with a full history deletes the oldest (87 MB of blocks freed at
   * 100k), as every save without history deletes the version before the backup and the floor's
   * replace the file it replaces.
   */
  static void fillHistory(State state) {
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

  void progress(String what) {
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
    loadStart = Report.loadAverage();
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
    concurrent.declareTables();
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
        concurrent.reads(n, s);
        gc();
      }
      if (runs("writers")) {
        concurrent.writers(n, s);
        gc();
      }
      if (runs("processes")) {
        concurrent.processes(n, s);
        gc();
      }
      if (heap && runs("heap")) {
        heap(n, s);
      }
      if (runs("startup")) {
        new Startup(this).run(n, s);
        gc();
      }
      s = null;
      gc();
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    loadEnd = Report.loadAverage();
    String report = new Report(this).render(took);
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
