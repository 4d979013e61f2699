package io.infrastate.model;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of a state's history: a stored version and who wrote it, what and why.
 *
 * @param serial the version's serial
 * @param time when it was written
 * @param operator who wrote it
 * @param operation what was done
 * @param reason why, empty if not given
 * @param locks the locks the version was written under and their fencing tokens (see {@link
 *     AuditEntry#locks()}), empty if none
 */
public record VersionInfo(
    long serial, Instant time, String operator, String operation, String reason, Map<String, Long> locks) {
  /**
   * Creates a history entry.
   *
   * @param serial the version's serial
   * @param time when it was written
   * @param operator who wrote it
   * @param operation what was done
   * @param reason why, empty if not given
   * @param locks the locks the version was written under and their fencing tokens (see {@link
   *     AuditEntry#locks()}), empty if none
   * @throws NullPointerException if a field is null
   */
  public VersionInfo {
    Objects.requireNonNull(time, "time");
    operator = Objects.requireNonNullElse(operator, "");
    operation = Objects.requireNonNullElse(operation, "");
    reason = Objects.requireNonNullElse(reason, "");
    locks = AuditEntry.sortedLocks(locks);
  }

  /**
   * Creates a history entry of a version written under no lock.
   *
   * @param serial the version's serial
   * @param time when it was written
   * @param operator who wrote it
   * @param operation what was done
   * @param reason why
   * @throws NullPointerException if {@code time} is null
   */
  public VersionInfo(long serial, Instant time, String operator, String operation, String reason) {
    this(serial, time, operator, operation, reason, Map.of());
  }

  /**
   * The one-line message: operation, then the reason in parentheses if any.
   *
   * @return the message
   */
  public String message() {
    return reason.isEmpty() ? operation : operation + " (" + reason + ")";
  }
}
