package io.infrastate.memory;

import io.infrastate.model.Snapshot;
import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A backend in memory, for fast tests (as JGit's {@code InMemoryRepository}). It stores the encoded
 * state.json bytes of every version, so it behaves like real storage: handles on one instance are
 * isolated from each other as separate processes would be, damaged content written with {@link
 * #writeRaw(byte[])} is detected exactly as a damaged file is, and compare-and-swap, history and
 * rollback work as in the durable backends. Nothing survives the JVM.
 *
 * <p>Several {@link io.infrastate.State} handles may share one instance to simulate several
 * processes. Instances are thread-safe.
 */
public final class InMemoryBackend implements HistoryBackend {
  private static final AtomicLong COUNTER = new AtomicLong();

  private final String location;
  private final List<Version> versions = new ArrayList<>();
  private byte[] raw;
  private StoredState decoded;

  private record Version(long serial, byte[] content, VersionInfo info) {}

  private InMemoryBackend(String location) {
    this.location = location;
  }

  /**
   * Creates an empty in-memory store.
   *
   * @return a new backend holding nothing
   */
  public static InMemoryBackend create() {
    return new InMemoryBackend("memory:" + COUNTER.incrementAndGet());
  }

  @Override
  public String location() {
    return location;
  }

  @Override
  public synchronized Optional<StoredState> load() {
    return Optional.ofNullable(decodeCurrent());
  }

  private StoredState decodeCurrent() {
    if (raw == null) {
      return null;
    }
    if (decoded == null) {
      Snapshot s = StateCodec.decode(raw, location, "earlier versions are in its history");
      decoded = new StoredState(s, VersionToken.of(s.metadata().serial(), s.metadata().lineage()));
    }
    return decoded;
  }

  @Override
  public synchronized SaveResult save(SaveRequest request) {
    StoredState stored = decodeCurrent();
    VersionToken actual = stored == null ? VersionToken.absent() : stored.token();
    if (!VersionToken.sameVersion(actual, request.expected())) {
      return new SaveResult.Conflict(Optional.ofNullable(stored));
    }
    Snapshot next = request.snapshot();
    byte[] bytes = StateCodec.encode(next);
    raw = bytes;
    VersionToken token = VersionToken.of(next.metadata().serial(), next.metadata().lineage());
    decoded = new StoredState(next, token);
    versions.add(
        new Version(
            next.metadata().serial(),
            bytes,
            new VersionInfo(
                next.metadata().serial(),
                next.metadata().updatedAt(),
                request.audit().operator(),
                request.audit().operation(),
                request.audit().reason(),
                request.audit().locks())));
    return new SaveResult.Saved(token);
  }

  @Override
  public synchronized List<VersionInfo> history(int limit) {
    List<VersionInfo> out = new ArrayList<>();
    for (int i = versions.size() - 1; i >= 0 && out.size() < limit; i--) {
      out.add(versions.get(i).info());
    }
    return out;
  }

  @Override
  public synchronized Optional<StoredState> at(long serial) {
    for (int i = versions.size() - 1; i >= 0; i--) {
      Version v = versions.get(i);
      if (v.serial() == serial) {
        Snapshot s = StateCodec.decode(v.content(), location + "@" + serial, "");
        return Optional.of(new StoredState(s, VersionToken.of(serial, s.metadata().lineage())));
      }
    }
    return Optional.empty();
  }

  /**
   * Replaces the stored bytes as an outside writer would (for damage tests). The content is not
   * checked; the next load or save finds out.
   *
   * @param content the raw state.json content
   */
  public synchronized void writeRaw(byte[] content) {
    raw = content.clone();
    decoded = null;
  }

  /**
   * The stored bytes, exactly as stored.
   *
   * @return a copy of the content, or empty if nothing is stored
   */
  public synchronized Optional<byte[]> readRaw() {
    return Optional.ofNullable(raw).map(byte[]::clone);
  }
}
