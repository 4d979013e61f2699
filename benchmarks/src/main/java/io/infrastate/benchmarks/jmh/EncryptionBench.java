package io.infrastate.benchmarks.jmh;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.benchmarks.Data;
import io.infrastate.crypto.KeySource;
import io.infrastate.crypto.Keyring;
import io.infrastate.crypto.StateEncryption;
import io.infrastate.file.FileBackend;
import io.infrastate.spi.Backend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Comparator;
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
 * The cost of whole-state encryption on the file backend: one durable write of one added host
 * ({@link #write}) and one load of the whole state by a new handle ({@link #load}), on a state of N
 * hosts (and N resources), in whole-file ({@code file}) or journal ({@code journal}) mode, with
 * encryption {@code off} (opened through the same keyring, no secrets: the plain path) or {@code
 * on} ({@link StateEncryption#encrypt}; a key file, so no passphrase derivation is measured). Not
 * thread-safe (JMH state per benchmark).
 */
@org.openjdk.jmh.annotations.State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class EncryptionBench {
  /** Hosts (and resources) in the state. */
  @Param({"100000"})
  public int n;

  /** {@code file} (whole-file writes) or {@code journal}. */
  @Param({"file", "journal"})
  public String mode;

  /** Whole-state encryption {@code off} or {@code on}. */
  @Param({"off", "on"})
  public String encryption;

  private Path dir;
  private Keyring keys;
  private Backend backend;
  private State state;
  private long k;

  /**
   * Creates the state with N hosts and N resources in one write, then encrypts it if asked.
   *
   * @throws IOException on failure
   */
  @Setup(Level.Trial)
  public void setup() throws IOException {
    dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"))), "encryption");
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    Files.writeString(dir.resolve("bench.key"), Base64.getEncoder().encodeToString(key));
    keys = Keyring.of(KeySource.keyFile(dir.resolve("bench.key")));
    backend = open();
    state = State.load(backend);
    Snapshot s = Data.snapshot(n);
    state.update(AuditEntry.of("create"), tx -> {
      s.hosts().values().forEach(tx::addHost);
      s.resources().forEach(tx::addResource);
    });
    if (encryption.equals("on")) {
      StateEncryption.encrypt(backend);
      state.close();
      state = State.load(backend);
    }
  }

  private Backend open() {
    return keys.protect(FileBackend.builder(dir.resolve("state.json")).journal(mode.equals("journal")).build());
  }

  /**
   * Closes and removes everything.
   *
   * @throws IOException on failure
   */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    state.close();
    backend.close();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** One durable write of one new host. */
  @Benchmark
  public void write() {
    state.addHost(Data.newHost(k++));
  }

  /**
   * One load of the whole state by a new backend and handle, as a new process does.
   *
   * @return the hosts loaded
   */
  @Benchmark
  public int load() {
    try (Backend b = open(); State s = State.load(b)) {
      return s.snapshot().hosts().size();
    }
  }
}
