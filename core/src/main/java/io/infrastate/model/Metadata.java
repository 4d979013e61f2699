package io.infrastate.model;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The state file's metadata: format version, serial, lineage and timestamps.
 *
 * <p>{@code serial} is incremented by exactly one on every write; {@code lineage} is a UUID fixed
 * when the state is first written and never changes, so that two different states are never
 * mistaken for versions of one another. A file written by Go-FTL2 has neither: it loads as serial 0
 * with an empty lineage and gets a lineage on its first write.
 *
 * @param version the format version, {@value #FORMAT_VERSION} for files this library writes
 * @param serial the version number, 0 for a state never written by infrastate
 * @param lineage the state's identity (a UUID), empty if none was assigned yet
 * @param createdAt when the state was created
 * @param updatedAt when the state was last written
 * @param fences for each lock that writes were made under, the largest fencing token recorded
 *     (see {@link io.infrastate.State#update(io.infrastate.lock.Lock, AuditEntry, java.util.function.Consumer)});
 *     sorted by lock name, empty if no write was made under a lock
 */
public record Metadata(
    String version, long serial, String lineage, Instant createdAt, Instant updatedAt, Map<String, Long> fences) {

  /** The newest format version this library reads and writes. */
  public static final String FORMAT_VERSION = "1.0";

  /**
   * Creates metadata.
   *
   * @param version the format version, {@value #FORMAT_VERSION} for files this library writes
   * @param serial the version number, 0 for a state never written by infrastate
   * @param lineage the state's identity (a UUID), empty if none was assigned yet
   * @param createdAt when the state was created
   * @param updatedAt when the state was last written
   * @param fences for each lock that writes were made under, the largest fencing token recorded
   *     (see {@link io.infrastate.State#update(io.infrastate.lock.Lock, AuditEntry, java.util.function.Consumer)});
   *     sorted by lock name, empty if no write was made under a lock
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code serial} or a fencing token is negative, or a fence
   *     has an empty name
   */
  public Metadata {
    Objects.requireNonNull(version, "version");
    if (serial < 0) {
      throw new IllegalArgumentException("serial must not be negative: " + serial);
    }
    lineage = lineage == null ? "" : lineage;
    createdAt = createdAt == null ? HostState.UNSET_TIME : createdAt;
    updatedAt = updatedAt == null ? HostState.UNSET_TIME : updatedAt;
    fences = fences == null || fences.isEmpty() ? Map.of() : sortedFences(fences);
  }

  /**
   * Creates metadata without fences.
   *
   * @param version the format version
   * @param serial the version number
   * @param lineage the state's identity, empty if none was assigned yet
   * @param createdAt when the state was created
   * @param updatedAt when the state was last written
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code serial} is negative
   */
  public Metadata(String version, long serial, String lineage, Instant createdAt, Instant updatedAt) {
    this(version, serial, lineage, createdAt, updatedAt, Map.of());
  }

  private static Map<String, Long> sortedFences(Map<String, Long> fences) {
    TreeMap<String, Long> sorted = new TreeMap<>();
    fences.forEach((name, token) -> {
      Objects.requireNonNull(name, "fence name");
      Objects.requireNonNull(token, "fence token");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("a fence's lock name must not be empty");
      }
      if (token < 0) {
        throw new IllegalArgumentException("the fencing token of lock " + name + " must not be negative: " + token);
      }
      sorted.put(name, token);
    });
    return Collections.unmodifiableMap(sorted);
  }

  /**
   * Returns a copy with another serial and update time (what every write does).
   *
   * @param newSerial the new serial
   * @param newUpdatedAt the write time
   * @return new metadata
   */
  public Metadata withSerial(long newSerial, Instant newUpdatedAt) {
    return new Metadata(version, newSerial, lineage, createdAt, newUpdatedAt, fences);
  }

  /**
   * Returns a copy with another lineage.
   *
   * @param newLineage the lineage UUID
   * @return new metadata
   */
  public Metadata withLineage(String newLineage) {
    return new Metadata(version, serial, newLineage, createdAt, updatedAt, fences);
  }

  /**
   * Returns a copy that records a fencing token for a lock (replacing the one recorded for it).
   *
   * @param lock the lock name
   * @param token its fencing token
   * @return new metadata
   * @throws IllegalArgumentException if the name is empty or the token negative
   */
  public Metadata withFence(String lock, long token) {
    Map<String, Long> next = new TreeMap<>(fences);
    next.put(lock, token);
    return new Metadata(version, serial, lineage, createdAt, updatedAt, next);
  }

  /**
   * The largest fencing token recorded for a lock.
   *
   * @param lock the lock name
   * @return the token, or 0 if no write was made under that lock
   */
  public long fence(String lock) {
    Long token = fences.get(lock);
    return token == null ? 0 : token;
  }

  /**
   * Whether a lineage has been assigned.
   *
   * @return {@code true} if {@link #lineage()} is not empty
   */
  public boolean hasLineage() {
    return !lineage.isEmpty();
  }
}
