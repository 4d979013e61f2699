package io.infrastate;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

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
 * @param locks the locks the write was made under and their fencing tokens, sorted by name; filled
 *     in by {@link State#update(io.infrastate.lock.Lock, AuditEntry, java.util.function.Consumer)},
 *     empty for a write made under no lock
 */
public record AuditEntry(String operator, String operation, String reason, Map<String, Long> locks) {

  /** An entry with every field empty: all defaults apply. */
  public static final AuditEntry DEFAULT = new AuditEntry("", "", "");

  /**
   * Creates an entry; {@code null} fields become empty.
   *
   * @throws IllegalArgumentException if a field has a control character, or a lock name is empty
   *     or its token negative
   */
  public AuditEntry {
    operator = clean(operator, "operator");
    operation = clean(operation, "operation");
    reason = clean(reason, "reason");
    locks = sortedLocks(locks);
  }

  /**
   * Creates an entry made under no lock; {@code null} fields become empty.
   *
   * @param operator who made the change
   * @param operation what was done
   * @param reason why
   * @throws IllegalArgumentException if a field has a control character
   */
  public AuditEntry(String operator, String operation, String reason) {
    this(operator, operation, reason, Map.of());
  }

  /**
   * Returns a copy that names the locks the write was made under.
   *
   * @param newLocks lock names and fencing tokens
   * @return a new entry
   */
  public AuditEntry withLocks(Map<String, Long> newLocks) {
    return new AuditEntry(operator, operation, reason, newLocks);
  }

  /**
   * The locks as one line for logs and commit trailers.
   *
   * @return such as {@code "deploy 7, backup 3"}, empty if none
   */
  public String locksText() {
    return locksText(locks);
  }

  static String locksText(Map<String, Long> locks) {
    StringBuilder sb = new StringBuilder();
    locks.forEach((name, token) -> {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(name).append(' ').append(token);
    });
    return sb.toString();
  }

  /** A sorted, unmodifiable copy of a lock map; empty for null; checks names and tokens. */
  static Map<String, Long> sortedLocks(Map<String, Long> locks) {
    if (locks == null || locks.isEmpty()) {
      return Map.of();
    }
    TreeMap<String, Long> sorted = new TreeMap<>();
    locks.forEach((name, token) -> {
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException("audit lock name must not be empty");
      }
      clean(name, "lock name");
      if (token == null || token < 0) {
        throw new IllegalArgumentException("the fencing token of lock " + name + " must not be negative: " + token);
      }
      sorted.put(name, token);
    });
    return Collections.unmodifiableMap(sorted);
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
    return new AuditEntry(newOperator, operation, reason, locks);
  }

  /**
   * Returns a copy with another operation.
   *
   * @param newOperation what is being done
   * @return a new entry
   */
  public AuditEntry withOperation(String newOperation) {
    return new AuditEntry(operator, newOperation, reason, locks);
  }

  /**
   * Returns a copy with a reason.
   *
   * @param newReason why
   * @return a new entry
   */
  public AuditEntry withReason(String newReason) {
    return new AuditEntry(operator, operation, newReason, locks);
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
