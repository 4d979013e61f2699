package io.infrastate.benchmarks.jmh;

import io.infrastate.HostState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.benchmarks.Data;
import io.infrastate.benchmarks.NullBackend;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
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
 * The State's own cost per write, without storage (a no-op backend): the copy-on-write of its
 * maps (O(N) on the first change of each write), validation, metadata. This is what a journaled
 * write pays on top of its append. Not thread-safe (JMH state per benchmark).
 */
@org.openjdk.jmh.annotations.State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StateWriteBench {
  /** Hosts (and resources) in the state. */
  @Param({"1000", "10000", "100000"})
  public int n;

  private State state;
  private TreeMap<String, HostState> hosts;
  private long k;

  /** Builds the state. */
  @Setup(Level.Trial)
  public void setup() {
    io.infrastate.Snapshot s = Data.snapshot(n);
    state = State.load(new NullBackend(s), StateOptions.builder().operator("bench@localhost").build());
    hosts = new TreeMap<>(s.hosts());
  }

  /** Closes the state. */
  @TearDown(Level.Trial)
  public void tearDown() {
    state.close();
  }

  /**
   * One write-through addHost.
   *
   * @return the stored host
   */
  @Benchmark
  public HostState addHost() {
    return state.addHost(Data.newHost(k++));
  }

  /**
   * The copy a write makes of the host map (StateTransaction's first change).
   *
   * @return the copy
   */
  @Benchmark
  public TreeMap<String, HostState> copyHostMap() {
    return new TreeMap<>(hosts);
  }
}
