package io.infrastate.benchmarks.jmh;

import io.infrastate.model.Snapshot;
import io.infrastate.benchmarks.Data;
import io.infrastate.benchmarks.Floors;
import io.infrastate.benchmarks.GoFtl2;
import io.infrastate.codec.EntryEncodings;
import io.infrastate.codec.StateCodec;
import io.infrastate.model.HostState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding a state of N hosts and N resources to indented JSON, the CPU part of every whole-file
 * write, at steady state. Contenders: {@code infrastate} (its codec, state.json), {@code
 * infrastate-reuse} (its codec writing a version that differs from the last one written in one host,
 * reusing the other entries' encodings as a whole-file backend does), and the floors on the same
 * data as plain objects: {@code jackson-databind} and {@code jackson-streaming} (a hand-written
 * generator loop). Not thread-safe (JMH state per benchmark).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EncodeBench {
  /** Hosts (and resources) in the state. */
  @Param({"1000", "10000"})
  public int n;

  /**
   * Who encodes: {@code infrastate}, {@code infrastate-reuse}, {@code jackson-databind} or {@code
   * jackson-streaming}.
   */
  @Param({"infrastate", "infrastate-reuse", "jackson-databind", "jackson-streaming"})
  public String contender;

  private Supplier<byte[]> encoder;

  /** Builds the data and picks the contender. */
  @Setup
  public void setup() {
    Snapshot snapshot = Data.snapshot(n);
    GoFtl2.StateFile plain = Floors.plain(snapshot);
    encoder = switch (contender) {
      case "infrastate" -> () -> StateCodec.encode(snapshot);
      case "infrastate-reuse" -> reusing(snapshot);
      case "jackson-databind" -> () -> Floors.serialize(plain);
      case "jackson-streaming" -> () -> Floors.serializeStreaming(plain, Floors.Times.FAST);
      default -> throw new IllegalArgumentException("unknown contender " + contender);
    };
  }

  /**
   * Encodes, in turn, the snapshot and a version of it with one host changed, through one {@link
   * EntryEncodings}: every encode follows one of the other version, as a backend's writes do.
   */
  private static Supplier<byte[]> reusing(Snapshot snapshot) {
    HostState first = snapshot.hosts().values().iterator().next();
    Map<String, HostState> hosts = new LinkedHashMap<>(snapshot.hosts());
    hosts.put(first.name(), first.toBuilder().port(first.port() == 22 ? 2222 : 22).build());
    Snapshot[] versions = {snapshot, Snapshot.of(snapshot.metadata(), hosts, snapshot.resources())};
    EntryEncodings reuse = new EntryEncodings();
    StateCodec.encode(versions[1], reuse);
    int[] turn = {0};
    return () -> StateCodec.encode(versions[turn[0]++ & 1], reuse);
  }

  /**
   * One encode of the whole state.
   *
   * @return the bytes
   */
  @Benchmark
  public byte[] encode() {
    return encoder.get();
  }
}
