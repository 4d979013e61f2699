package io.infrastate.benchmarks.jmh;

import io.infrastate.Snapshot;
import io.infrastate.benchmarks.Data;
import io.infrastate.benchmarks.Floors;
import io.infrastate.benchmarks.GoFtl2;
import io.infrastate.codec.StateCodec;
import java.util.concurrent.TimeUnit;
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
 * state.json encode and decode (infrastate's codec) against raw Jackson (databind, and streaming
 * with infrastate's RFC 3339 code, the fastest raw way) on the same data: the CPU part of every
 * whole-file write and load, at steady state. Not thread-safe (JMH state per benchmark).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBench {
  /** Hosts (and resources) in the state. */
  @Param({"1000", "10000"})
  public int n;

  private Snapshot snapshot;
  private byte[] bytes;
  private GoFtl2.StateFile plain;
  private byte[] plainBytes;

  /** Builds the data. */
  @Setup
  public void setup() {
    snapshot = Data.snapshot(n);
    bytes = StateCodec.encode(snapshot);
    plain = Floors.plain(snapshot);
    plainBytes = Floors.serialize(plain);
  }

  /**
   * infrastate's encoder.
   *
   * @return the bytes
   */
  @Benchmark
  public byte[] encode() {
    return StateCodec.encode(snapshot);
  }

  /**
   * infrastate's decoder (with validation and freezing).
   *
   * @return the snapshot
   */
  @Benchmark
  public Snapshot decode() {
    return StateCodec.decode(bytes, "bench", "");
  }

  /**
   * The budget's floor: a raw streaming parse (with infrastate's RFC 3339 parser) of the very bytes
   * {@link #decode()} reads, state.json as infrastate writes it. The load's budget is 1.3 times it.
   *
   * @return the data
   */
  @Benchmark
  public GoFtl2.StateFile rawParseSameBytes() {
    return Floors.parseStreaming(bytes, Floors.Times.FAST);
  }

  /**
   * Floor: raw databind serialization.
   *
   * @return the bytes
   */
  @Benchmark
  public byte[] rawSerialize() {
    return Floors.serialize(plain);
  }

  /**
   * Floor: raw databind parse.
   *
   * @return the data
   */
  @Benchmark
  public GoFtl2.StateFile rawParse() {
    return Floors.parse(plainBytes);
  }

  /**
   * Floor: raw streaming parse with infrastate's RFC 3339 parser, the fastest of the harness's four
   * raw parses for a small state.
   *
   * @return the data
   */
  @Benchmark
  public GoFtl2.StateFile rawParseStreaming() {
    return Floors.parseStreaming(plainBytes, Floors.Times.FAST);
  }

  /**
   * Floor: the same without Jackson's table of member names, the fastest of the harness's four raw
   * parses for a large state.
   *
   * @return the data
   */
  @Benchmark
  public GoFtl2.StateFile rawParseStreamingNoNameTable() {
    return Floors.parseStreaming(plainBytes, Floors.Times.FAST, false);
  }

  /**
   * Floor: raw streaming serialization with infrastate's RFC 3339 formatter, the fastest of the
   * harness's three raw serializations.
   *
   * @return the bytes
   */
  @Benchmark
  public byte[] rawSerializeStreaming() {
    return Floors.serializeStreaming(plain, Floors.Times.FAST);
  }
}
