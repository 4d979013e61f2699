package io.infrastate;

import java.util.Objects;

/**
 * Who wrote a version, what they did, and why. Every write carries one; backends record it where
 * their users look (a Git commit's author and message, S3 object metadata, the file backend's
 * history).
 *
 * <p>Any field may be left empty: the {@link State} fills the operator from {@link
 * StateOptions#operator()} (by default {@code user@hostname}) and the operation from the change
 * ("add host web01"). The reason stays empty unless given.
 *
 * <pre>{@code
 * state.addHost(web, AuditEntry.of("provision web tier").withReason("ticket OPS-42"));
 * }</pre>
 *
 * @param operator who made the change, such as {@code alice@build-7}
 * @param operation what was done, such as {@code deploy api v2.1.0}
 * @param reason why, free text
 */
public record AuditEntry(String operator, String operation, String reason) {

  /** An entry with every field empty: all defaults apply. */
  public static final AuditEntry DEFAULT = new AuditEntry("", "", "");

  /**
   * Creates an entry; {@code null} fields become empty.
   */
  public AuditEntry {
    operator = clean(operator, "operator");
    operation = clean(operation, "operation");
    reason = clean(reason, "reason");
  }

  /**
   * An entry with an operation; the operator defaults.
   *
   * @param operation what is being done
   * @return a new entry
   */
  public static AuditEntry of(String operation) {
    return new AuditEntry("", operation, "");
  }

  /**
   * Returns a copy with another operator.
   *
   * @param newOperator who makes the change
   * @return a new entry
   */
  public AuditEntry withOperator(String newOperator) {
    return new AuditEntry(newOperator, operation, reason);
  }

  /**
   * Returns a copy with another operation.
   *
   * @param newOperation what is being done
   * @return a new entry
   */
  public AuditEntry withOperation(String newOperation) {
    return new AuditEntry(operator, newOperation, reason);
  }

  /**
   * Returns a copy with a reason.
   *
   * @param newReason why
   * @return a new entry
   */
  public AuditEntry withReason(String newReason) {
    return new AuditEntry(operator, operation, newReason);
  }

  /**
   * A one-line message for commit logs: the operation, then the reason in parentheses if any.
   *
   * @return a message such as {@code "add host web01 (ticket OPS-42)"}
   */
  public String message() {
    return reason.isEmpty() ? operation : operation + " (" + reason + ")";
  }

  private static String clean(String value, String field) {
    if (value == null) {
      return "";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 && c != '\t') {
        throw new IllegalArgumentException(
            "audit " + field + " must be one line without control characters: " + Objects.toString(value).strip());
      }
    }
    return value;
  }
}
