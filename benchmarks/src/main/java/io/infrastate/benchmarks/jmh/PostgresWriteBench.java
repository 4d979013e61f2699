package io.infrastate.benchmarks.jmh;

import io.infrastate.AuditEntry;
import io.infrastate.Snapshot;
import io.infrastate.State;
import io.infrastate.benchmarks.Data;
import io.infrastate.benchmarks.SqliteStore;
import io.infrastate.file.FileBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * One durable write of one added host at N hosts (and N resources): {@code State.addHost} on a
 * PostgreSQL state (one statement carrying the change, committed with the server's
 * {@code synchronous_commit}, on by default), on the journal, and SQLite's durable upsert (WAL,
 * synchronous=FULL) as the reference. The PostgreSQL contender needs a server: pass its URI as
 * {@code -Dbench.postgres=postgresql://USER@HOST:PORT/DATABASE} (each trial uses a fresh state
 * in schema {@code bench}). Not thread-safe (JMH state per benchmark).
 */
@org.openjdk.jmh.annotations.State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PostgresWriteBench {
  /** Hosts (and resources) in the state. */
  @Param({"1000", "100000"})
  public int n;

  /** Who stores the write: {@code postgres}, {@code journal} or {@code sqlite}. */
  @Param({"postgres", "journal", "sqlite"})
  public String store;

  private Path dir;
  private State state;
  private SqliteStore sqlite;
  private long k;

  /**
   * Creates the state with N hosts and N resources in one write.
   *
   * @throws IOException on failure
   * @throws SQLException on failure
   */
  @Setup(Level.Trial)
  public void setup() throws IOException, SQLException {
    dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"))), "pgbench");
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
      case "sqlite" -> {
        sqlite = new SqliteStore(dir.resolve("state.db"));
        sqlite.putAll(s);
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
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * One durable write of one new host.
   *
   * @throws SQLException on failure (SQLite)
   */
  @Benchmark
  public void addHost() throws SQLException {
    if (sqlite != null) {
      sqlite.putHost(Data.newHost(k++));
    } else {
      state.addHost(Data.newHost(k++));
    }
  }
}
