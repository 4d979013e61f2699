package io.infrastate;

import java.time.Instant;
import java.util.Objects;

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
 */
public record Metadata(
    String version, long serial, String lineage, Instant createdAt, Instant updatedAt) {

  /** The newest format version this library reads and writes. */
  public static final String FORMAT_VERSION = "1.0";

  /**
   * Creates metadata.
   *
   * @throws NullPointerException if {@code version} is null
   * @throws IllegalArgumentException if {@code serial} is negative
   */
  public Metadata {
    Objects.requireNonNull(version, "version");
    if (serial < 0) {
      throw new IllegalArgumentException("serial must not be negative: " + serial);
    }
    lineage = lineage == null ? "" : lineage;
    createdAt = createdAt == null ? HostState.UNSET_TIME : createdAt;
    updatedAt = updatedAt == null ? HostState.UNSET_TIME : updatedAt;
  }

  /**
   * Returns a copy with another serial and update time (what every write does).
   *
   * @param newSerial the new serial
   * @param newUpdatedAt the write time
   * @return new metadata
   */
  public Metadata withSerial(long newSerial, Instant newUpdatedAt) {
    return new Metadata(version, newSerial, lineage, createdAt, newUpdatedAt);
  }

  /**
   * Returns a copy with another lineage.
   *
   * @param newLineage the lineage UUID
   * @return new metadata
   */
  public Metadata withLineage(String newLineage) {
    return new Metadata(version, serial, newLineage, createdAt, updatedAt);
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
