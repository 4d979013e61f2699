package io.infrastate.benchmarks.jmh;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.benchmarks.Data;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Group commit: eight threads writing through one handle to a journaled file state (each write
 * one durable append), in durable writes per second summed over the threads. The contenders: group
 * commit {@code on} (the default: writers that arrive during a write share the next one, waiting
 * for it parked) and {@code off} (one durable write per call). Thread-safe (JMH state shared by
 * the threads).
 */
@org.openjdk.jmh.annotations.State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(8)
public class GroupCommitBench {
  /** Whether group commit is on. */
  @Param({"on", "off"})
  public String group;

  /** Hosts in the state. */
  @Param({"1000"})
  public int n;

  private Path dir;
  private State state;
  private final AtomicLong k = new AtomicLong();

  /**
   * Creates the journaled state.
   *
   * @throws IOException on failure
   */
  @Setup(Level.Trial)
  public void setup() throws IOException {
    dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"))), "group");
    StateOptions options = StateOptions.builder().operator("bench@localhost").groupCommit("on".equals(group)).build();
    state = State.open(dir.resolve("state.json").toUri() + "?journal=true", options);
    state.replace(Data.snapshot(n), io.infrastate.model.AuditEntry.of("create"));
  }

  /**
   * Closes the state and removes its files.
   *
   * @throws IOException on failure
   */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    state.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /**
   * One write-through addHost, persisted before it returns.
   *
   * @return the stored host
   */
  @Benchmark
  public HostState addHost() {
    return state.addHost(Data.newHost(k.getAndIncrement()));
  }
}
