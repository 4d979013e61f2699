package io.infrastate.spi;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.Snapshot;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What {@link Backend#save(SaveRequest)} is asked to store.
 *
 * @param expected the version the writer started from; the save must fail with a conflict unless
 *     storage still holds exactly this version ({@link VersionToken#absent()}: nothing stored)
 * @param snapshot the complete new version; its serial is the expected serial plus one
 * @param changes the changes from the expected version to this one, in order
 * @param audit who, what and why, with every default already filled in
 * @param writeId this write's own id, the same for every attempt of one write and unique across
 *     writes ({@link #newWriteId()}); a backend whose reply to a commit can be lost records it with
 *     the version (S3: in the log record; Git: an {@code Infrastate-Write} trailer), so that it can
 *     tell afterwards whether the version stored is this write's (see {@link WriteHistory})
 */
public record SaveRequest(
    VersionToken expected, Snapshot snapshot, List<Change> changes, AuditEntry audit, String writeId) {
  /** The longest write id accepted. */
  public static final int MAX_WRITE_ID_LENGTH = AuditEntry.MAX_WRITE_ID_LENGTH;

  /**
   * Creates a request.
   *
   * @param expected the version the writer started from; the save must fail with a conflict unless
   *     storage still holds exactly this version ({@link VersionToken#absent()}: nothing stored)
   * @param snapshot the complete new version; its serial is the expected serial plus one
   * @param changes the changes from the expected version to this one, in order
   * @param audit who, what and why, with every default already filled in
   * @param writeId this write's own id, the same for every attempt of one write and unique across
   *     writes ({@link #newWriteId()}); a backend whose reply to a commit can be lost records it with
   *     the version (S3: in the log record; Git: an {@code Infrastate-Write} trailer), so that it can
   *     tell afterwards whether the version stored is this write's (see {@link WriteHistory})
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the write id is empty, longer than {@value
   *     #MAX_WRITE_ID_LENGTH} characters, or holds other characters than ASCII letters, digits and
   *     {@code - _ . :}
   */
  public SaveRequest {
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(snapshot, "snapshot");
    changes = List.copyOf(changes);
    Objects.requireNonNull(audit, "audit");
    checkWriteId(writeId);
  }

  /**
   * Creates a request with a fresh write id.
   *
   * @param expected the version the writer started from
   * @param snapshot the complete new version
   * @param changes the changes from the expected version to this one
   * @param audit who, what and why
   * @throws NullPointerException if an argument is null
   */
  public SaveRequest(VersionToken expected, Snapshot snapshot, List<Change> changes, AuditEntry audit) {
    this(expected, snapshot, changes, audit, newWriteId());
  }

  /**
   * A new, random write id.
   *
   * @return an id such as {@code 3f2a9c1e-…} (a random UUID)
   */
  public static String newWriteId() {
    return UUID.randomUUID().toString();
  }

  /**
   * Checks that a text can be a write id: it is stored in log records and commit trailers.
   *
   * @param writeId the id
   * @return the id
   * @throws NullPointerException if it is null
   * @throws IllegalArgumentException if it is empty, too long or holds other characters than ASCII
   *     letters, digits and {@code - _ . :}
   */
  public static String checkWriteId(String writeId) {
    return AuditEntry.checkWriteId(writeId);
  }
}
