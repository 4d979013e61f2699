package io.infrastate.model;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Who wrote a version, what they did, and why. Every write carries one; backends record it where
 * their users look (a Git commit's author and message, S3 object metadata, the file backend's
 * history).
 *
 * <p>Any field may be left empty: the {@link io.infrastate.State} fills the operator from {@link
 * io.infrastate.StateOptions#operator()} (by default {@code user@hostname}) and the operation from the change
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
 *     in by {@link io.infrastate.State#update(io.infrastate.lock.Lock, AuditEntry, java.util.function.Consumer)},
 *     empty for a write made under no lock
 * @param retryOf empty, or the {@link CommitOutcomeUnknownException#retryToken()} of an earlier
 *     write of the same change whose outcome was unknown: this write is then a no-op if that one
 *     was stored (see {@link #retrying})
 */
public record AuditEntry(
    String operator, String operation, String reason, Map<String, Long> locks, String retryOf) {

  /** An entry with every field empty: all defaults apply. */
  public static final AuditEntry DEFAULT = new AuditEntry("", "", "");

  /**
   * Creates an entry; {@code null} fields become empty.
   *
   * @param operator who made the change, such as {@code alice@build-7}
   * @param operation what was done, such as {@code deploy api v2.1.0}
   * @param reason why, free text
   * @param locks the locks the write was made under and their fencing tokens, sorted by name; filled
   *     in by {@link io.infrastate.State#update(io.infrastate.lock.Lock, AuditEntry, java.util.function.Consumer)},
   *     empty for a write made under no lock
   * @param retryOf empty, or the {@link CommitOutcomeUnknownException#retryToken()} of an earlier
   *     write of the same change whose outcome was unknown: this write is then a no-op if that one
   *     was stored (see {@link #retrying})
   * @throws IllegalArgumentException if a field has a control character, a lock name is empty or
   *     its token negative, or {@code retryOf} is not a retry token
   */
  public AuditEntry {
    operator = clean(operator, "operator");
    operation = clean(operation, "operation");
    reason = clean(reason, "reason");
    locks = sortedLocks(locks);
    retryOf = retryOf == null ? "" : checkRetryToken(retryOf);
  }

  /**
   * Creates an entry that retries nothing; {@code null} fields become empty.
   *
   * @param operator who made the change
   * @param operation what was done
   * @param reason why
   * @param locks the locks the write was made under and their fencing tokens
   * @throws IllegalArgumentException if a field has a control character, or a lock name is empty
   *     or its token negative
   */
  public AuditEntry(String operator, String operation, String reason, Map<String, Long> locks) {
    this(operator, operation, reason, locks, "");
  }

  /**
   * Creates an entry made under no lock; {@code null} fields become empty.
   *
   * @param operator who made the change
   * @param operation what was done
   * @param reason why
   * @param retryOf empty, or the retry token of an earlier write whose outcome was unknown
   * @throws IllegalArgumentException if a field has a control character, or {@code retryOf} is
   *     not a retry token
   */
  public AuditEntry(String operator, String operation, String reason, String retryOf) {
    this(operator, operation, reason, Map.of(), retryOf);
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
    this(operator, operation, reason, Map.of(), "");
  }

  /**
   * Returns a copy that names the locks the write was made under.
   *
   * @param newLocks lock names and fencing tokens
   * @return a new entry
   */
  public AuditEntry withLocks(Map<String, Long> newLocks) {
    return new AuditEntry(operator, operation, reason, newLocks, retryOf);
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
    return new AuditEntry(newOperator, operation, reason, locks, retryOf);
  }

  /**
   * Returns a copy with another operation.
   *
   * @param newOperation what is being done
   * @return a new entry
   */
  public AuditEntry withOperation(String newOperation) {
    return new AuditEntry(operator, newOperation, reason, locks, retryOf);
  }

  /**
   * Returns a copy with a reason.
   *
   * @param newReason why
   * @return a new entry
   */
  public AuditEntry withReason(String newReason) {
    return new AuditEntry(operator, operation, newReason, locks, retryOf);
  }

  /**
   * Returns a copy that retries a write whose outcome was unknown: if that write was stored, this
   * one stores nothing and returns the stored state; otherwise it applies its change as usual.
   * Give it the same change as the write that failed.
   *
   * @param unknown what the earlier write threw
   * @return a new entry
   */
  public AuditEntry retrying(CommitOutcomeUnknownException unknown) {
    return withRetryOf(unknown.retryToken());
  }

  /**
   * Returns a copy that retries the write with this {@link CommitOutcomeUnknownException#retryToken()
   * token}, as {@link #retrying} does (for a retry in another process, which has only the token).
   *
   * @param token {@code SERIAL:WRITEID}, or empty for none
   * @return a new entry
   * @throws IllegalArgumentException if the token is not of that form
   */
  public AuditEntry withRetryOf(String token) {
    return new AuditEntry(operator, operation, reason, locks, token);
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

  /** The longest write id: {@value} characters. */
  public static final int MAX_WRITE_ID_LENGTH = 100;

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
    Objects.requireNonNull(writeId, "writeId");
    if (writeId.isEmpty() || writeId.length() > MAX_WRITE_ID_LENGTH) {
      throw new IllegalArgumentException("a write id must have 1 to " + MAX_WRITE_ID_LENGTH + " characters: '"
          + (writeId.length() > MAX_WRITE_ID_LENGTH ? writeId.substring(0, MAX_WRITE_ID_LENGTH) + "…" : writeId) + "'");
    }
    for (int i = 0; i < writeId.length(); i++) {
      char c = writeId.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == ':';
      if (!ok) {
        throw new IllegalArgumentException("a write id may hold only ASCII letters, digits and - _ . : but has '"
            + (c < 0x20 ? "\\u" + String.format("%04x", (int) c) : String.valueOf(c)) + "' at " + i);
      }
    }
    return writeId;
  }

  /** Checks a retry token: {@code SERIAL:WRITEID}. */
  private static String checkRetryToken(String token) {
    if (token.isEmpty()) {
      return token;
    }
    int colon = token.indexOf(':');
    boolean ok = colon > 0 && colon < 19 && token.substring(0, colon).chars().allMatch(c -> c >= '0' && c <= '9');
    if (ok) {
      try {
        checkWriteId(token.substring(colon + 1));
      } catch (IllegalArgumentException e) {
        ok = false;
      }
    }
    if (!ok) {
      throw new IllegalArgumentException("retryOf must be a retry token SERIAL:WRITEID, as"
          + " CommitOutcomeUnknownException.retryToken() gives: '" + token + "'");
    }
    return token;
  }
}
