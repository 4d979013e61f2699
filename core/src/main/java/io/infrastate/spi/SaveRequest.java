package io.infrastate.spi;

import io.infrastate.AuditEntry;
import io.infrastate.Snapshot;
import java.util.List;
import java.util.Objects;

/**
 * What {@link Backend#save(SaveRequest)} is asked to store.
 *
 * @param expected the version the writer started from; the save must fail with a conflict unless
 *     storage still holds exactly this version ({@link VersionToken#absent()}: nothing stored)
 * @param snapshot the complete new version; its serial is the expected serial plus one
 * @param changes the changes from the expected version to this one, in order
 * @param audit who, what and why, with every default already filled in
 */
public record SaveRequest(
    VersionToken expected, Snapshot snapshot, List<Change> changes, AuditEntry audit) {
  /**
   * Creates a request.
   *
   * @throws NullPointerException if an argument is null
   */
  public SaveRequest {
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(snapshot, "snapshot");
    changes = List.copyOf(changes);
    Objects.requireNonNull(audit, "audit");
  }
}
