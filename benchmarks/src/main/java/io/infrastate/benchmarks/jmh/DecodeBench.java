package io.infrastate.benchmarks.jmh;

import io.infrastate.model.Snapshot;
import io.infrastate.benchmarks.Data;
import io.infrastate.benchmarks.Floors;
import io.infrastate.codec.StateCodec;
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
 * Decoding state.json as infrastate writes it (N hosts and N resources), the CPU part of every
 * load, at steady state. Contenders: {@code infrastate} (its decoder, with validation and
 * freezing), the floor {@code jackson-streaming} (a raw streaming parse of the very same bytes into
 * plain objects: the load's budget is 1.3 times it), and {@code jackson-databind} (a raw databind
 * parse of the same data as plain objects, in the Go-FTL2 layout). Not thread-safe (JMH state per
 * benchmark).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DecodeBench {
  /** Hosts (and resources) in the state. */
  @Param({"1000", "10000"})
  public int n;

  /** Who decodes: {@code infrastate}, {@code jackson-streaming} or {@code jackson-databind}. */
  @Param({"infrastate", "jackson-streaming", "jackson-databind"})
  public String contender;

  private Supplier<Object> decoder;

  /** Builds the bytes and picks the contender. */
  @Setup
  public void setup() {
    Snapshot snapshot = Data.snapshot(n);
    byte[] bytes = StateCodec.encode(snapshot);
    decoder = switch (contender) {
      case "infrastate" -> () -> StateCodec.decode(bytes, "bench", "");
      case "jackson-streaming" -> () -> Floors.parseStreaming(bytes, Floors.Times.FAST);
      case "jackson-databind" -> {
        byte[] plain = Floors.serialize(Floors.plain(snapshot));
        yield () -> Floors.parse(plain);
      }
      default -> throw new IllegalArgumentException("unknown contender " + contender);
    };
  }

  /**
   * One decode of the whole state.
   *
   * @return the decoded data
   */
  @Benchmark
  public Object decode() {
    return decoder.get();
  }
}
