package io.infrastate.benchmarks.jmh;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.benchmarks.Data;
import io.infrastate.benchmarks.GoFtl2;
import io.infrastate.benchmarks.NullBackend;
import io.infrastate.benchmarks.SqliteStore;
import io.infrastate.file.FileBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One write of one added host to a state of N hosts (and N resources), returning once it is
 * durable. Contenders ({@code store}): {@code State.addHost} on a {@code file} state (whole-file
 * write, default history), on a {@code journal} state, and on a {@code memory} state (a no-op
 * backend: the State's own cost per write); SQLite's durable upsert ({@code sqlite}, WAL,
 * synchronous=FULL); the Go-FTL2 port with fsync ({@code go-ftl2}, a whole-file write); and the
 * floor {@code floor-append} (300 bytes appended + fdatasync, no library code). {@code postgres}
 * writes to a PostgreSQL state (one statement, committed with the server's {@code
 * synchronous_commit}): it needs a server, so it is not run by default; pass {@code -p
 * store=postgres -Dbench.postgres=postgresql://USER@HOST:PORT/DATABASE} (each trial uses a fresh
 * state in schema {@code bench}). Not thread-safe (JMH state per benchmark).
 */
@org.openjdk.jmh.annotations.State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AddHostBench {
  /** Hosts (and resources) in the state. */
  @Param({"1000", "100000"})
  public int n;

  /** Who stores the write: {@code memory}, {@code file}, {@code journal}, {@code sqlite}, {@code go-ftl2}, {@code floor-append}, {@code postgres}. */
  @Param({"memory", "file", "journal", "sqlite", "go-ftl2", "floor-append"})
  public String store;

  private Path dir;
  private State state;
  private SqliteStore sqlite;
  private GoFtl2.State go;
  private FileChannel append;
  private final ByteBuffer record = ByteBuffer.allocate(300);
  private long k;

  /**
   * Creates the state with N hosts and N resources in one write.
   *
   * @throws IOException on failure
   * @throws SQLException on failure
   */
  @Setup(Level.Trial)
  public void setup() throws IOException, SQLException {
    dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"))), "addhost");
    Snapshot s = Data.snapshot(n);
    switch (store) {
      case "postgres" -> {
        String server = System.getProperty("bench.postgres");
        if (server == null) {
          throw new IllegalStateException("pass the server as -Dbench.postgres=postgresql://USER@HOST:PORT/DATABASE");
        }
        state = State.open(server + (server.contains("?") ? "&" : "?") + "schema=bench&state=n" + n + "-" + UUID.randomUUID());
      }
      case "journal" -> state = State.load(FileBackend.builder(dir.resolve("state.json")).journal(true).build());
      case "file" -> state = State.load(FileBackend.at(dir.resolve("state.json")));
      case "memory" -> {
        state = State.load(new NullBackend(s));
        return;
      }
      case "sqlite" -> {
        sqlite = new SqliteStore(dir.resolve("state.db"));
        sqlite.putAll(s);
        return;
      }
      case "go-ftl2" -> {
        go = GoFtl2.State.create(dir.resolve("state.json"), true, s);
        return;
      }
      case "floor-append" -> {
        append = FileChannel.open(dir.resolve("append.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        return;
      }
      default -> throw new IllegalArgumentException("unknown store " + store);
    }
    state.update(AuditEntry.of("create"), tx -> {
      s.hosts().values().forEach(tx::addHost);
      s.resources().forEach(tx::addResource);
    });
  }

  /**
   * Closes and removes everything.
   *
   * @throws IOException on failure
   * @throws SQLException on failure
   */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException, SQLException {
    if (state != null) {
      state.close();
    }
    if (sqlite != null) {
      sqlite.close();
    }
    if (append != null) {
      append.close();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * One durable write of one new host.
   *
   * @throws IOException on failure (Go-FTL2 port, floor)
   * @throws SQLException on failure (SQLite)
   */
  @Benchmark
  public void addHost() throws IOException, SQLException {
    if (state != null) {
      state.addHost(Data.newHost(k++));
    } else if (sqlite != null) {
      sqlite.putHost(Data.newHost(k++));
    } else if (go != null) {
      go.addHost(GoFtl2.fromHost(Data.newHost(k++)));
    } else {
      append.write(record.clear());
      append.force(false);
    }
  }
}
