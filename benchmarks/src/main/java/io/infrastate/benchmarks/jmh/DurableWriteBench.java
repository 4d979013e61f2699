package io.infrastate.benchmarks.jmh;

import io.infrastate.AuditEntry;
import io.infrastate.Snapshot;
import io.infrastate.benchmarks.Data;
import io.infrastate.benchmarks.Floors;
import io.infrastate.file.FileBackend;
import io.infrastate.spi.Change;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
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
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable writes on this disk: the journal's append (backend alone, at N hosts), against the
 * physical floors — a bare small-file replace (temp, fsync, rename, directory fsync) and a bare
 * append + fdatasync. Not thread-safe (JMH state per benchmark).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DurableWriteBench {
  /** Hosts (and resources) in the journaled state. */
  @Param({"1000", "100000"})
  public int n;

  private Path dir;
  private FileBackend backend;
  private StoredState current;
  private FileChannel appendChannel;
  private long k;
  private final byte[] small = new byte[300];

  /**
   * Creates the files.
   *
   * @throws IOException on failure
   */
  @Setup(Level.Trial)
  public void setup() throws IOException {
    dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"))), "durable");
    backend = FileBackend.builder(dir.resolve("state.json")).journal(true).build();
    Snapshot s = Data.snapshot(n);
    SaveResult r = backend.save(new SaveRequest(VersionToken.absent(), s, List.of(new Change.ReplaceAll(s)), new AuditEntry("bench", "create", "")));
    current = new StoredState(s, ((SaveResult.Saved) r).token());
    appendChannel = FileChannel.open(dir.resolve("append.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  /**
   * Removes the files.
   *
   * @throws IOException on failure
   */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    backend.close();
    appendChannel.close();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * The journal's durable append of one added host, through the backend.
   *
   * @return the new token
   */
  @Benchmark
  public VersionToken journalAppend() {
    Snapshot base = current.snapshot();
    Snapshot next = base.withMetadata(base.metadata().withSerial(base.metadata().serial() + 1, Instant.now()));
    SaveResult r = backend.save(new SaveRequest(current.token(), next, List.of(new Change.PutHost(Data.newHost(k++))), new AuditEntry("bench", "add host", "")));
    current = new StoredState(next, ((SaveResult.Saved) r).token());
    return current.token();
  }

  /**
   * Floor: temp write + fsync + rename + directory fsync of 300 bytes.
   *
   * @throws IOException on failure
   */
  @Benchmark
  public void floorSmallReplace() throws IOException {
    Floors.durableReplace(dir.resolve("small.json"), small);
  }

  /**
   * Floor: append 300 bytes + fdatasync.
   *
   * @throws IOException on failure
   */
  @Benchmark
  public void floorAppendFdatasync() throws IOException {
    appendChannel.write(ByteBuffer.wrap(small));
    appendChannel.force(false);
  }
}
