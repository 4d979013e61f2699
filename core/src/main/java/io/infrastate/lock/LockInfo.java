package io.infrastate.lock;

import java.time.Instant;
import java.util.Objects;

/**
 * Who holds a lock, for what, since when and until when: the content of a lock file (or lock
 * object, or committed lock file), written by {@link LockInfoCodec} in the same JSON for every
 * provider. It carries the fields of the GARZA lock file format (operator, timestamp, operation,
 * reason) plus what a lease and a stale-lock takeover need.
 *
 * <p>A lock whose {@link #expiresAt()} has passed is <em>stale</em>: its holder failed to {@link
 * Lock#renew() renew} it (it crashed, was killed, or lost its network), and another requester may
 * take it over.
 *
 * <p>Every acquisition of a name carries a <em>fencing token</em> ({@link #token()}) greater than
 * that of every earlier acquisition of the name, takeovers included. A write made under a lock
 * records its token in the state ({@link io.infrastate.State#update(Lock, io.infrastate.model.AuditEntry,
 * java.util.function.Consumer)}); a holder whose lease ran out and whose lock was taken over holds
 * a smaller token than the one recorded by the new holder, and its writes are refused.
 *
 * <p>A released lock is not deleted: its record stays as a <em>released</em> record ({@link
 * #released()}) that carries the last token, so that the next acquisition continues the count. A
 * released record is a free lock: {@link LockProvider#inspect(String)} does not report it.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param id the lock id: unguessable, unique per acquisition; only the holder knows it (and anyone
 *     who can read the lock, for {@link LockProvider#forceUnlock(String, String)})
 * @param name the lock name (see {@link LockNames})
 * @param operator who holds it, such as {@code alice@build-7}
 * @param operation what the holder is doing, such as {@code deploy}; may be empty
 * @param reason why, free text; may be empty
 * @param createdAt when it was acquired
 * @param expiresAt when its lease ends unless renewed
 * @param pid the holder's process id, 0 if unknown
 * @param hostname the holder's machine, empty if unknown
 * @param token the fencing token: grows with each acquisition of the name; 0 for a lock written by
 *     a version of infrastate without tokens
 * @param released whether this is the record a released (or force-unlocked) lock leaves behind;
 *     its {@code expiresAt} is the release time
 */
public record LockInfo(
    String id,
    String name,
    String operator,
    String operation,
    String reason,
    Instant createdAt,
    Instant expiresAt,
    long pid,
    String hostname,
    long token,
    boolean released) {

  /**
   * Creates a lock description.
   *
   * @param id the lock id: unguessable, unique per acquisition; only the holder knows it (and anyone
   *     who can read the lock, for {@link LockProvider#forceUnlock(String, String)})
   * @param name the lock name (see {@link LockNames})
   * @param operator who holds it, such as {@code alice@build-7}
   * @param operation what the holder is doing, such as {@code deploy}; may be empty
   * @param reason why, free text; may be empty
   * @param createdAt when it was acquired
   * @param expiresAt when its lease ends unless renewed
   * @param pid the holder's process id, 0 if unknown
   * @param hostname the holder's machine, empty if unknown
   * @param token the fencing token: grows with each acquisition of the name; 0 for a lock written by
   *     a version of infrastate without tokens
   * @param released whether this is the record a released (or force-unlocked) lock leaves behind;
   *     its {@code expiresAt} is the release time
   * @throws NullPointerException if id, name, createdAt or expiresAt is null
   * @throws IllegalArgumentException if the id is empty, expiresAt is before createdAt or the token
   *     is negative
   */
  public LockInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (id.isEmpty()) {
      throw new IllegalArgumentException("lock id must not be empty");
    }
    if (expiresAt.isBefore(createdAt)) {
      throw new IllegalArgumentException(
          "lock " + name + " expires at " + expiresAt + ", before it was created at " + createdAt);
    }
    if (token < 0) {
      throw new IllegalArgumentException("lock " + name + " has a negative token: " + token);
    }
    operator = operator == null ? "" : operator;
    operation = operation == null ? "" : operation;
    reason = reason == null ? "" : reason;
    hostname = hostname == null ? "" : hostname;
  }

  /**
   * Creates a held lock description without a fencing token (token 0), as versions of infrastate
   * without tokens wrote.
   *
   * @param id the lock id
   * @param name the lock name
   * @param operator who holds it
   * @param operation what the holder is doing
   * @param reason why
   * @param createdAt when it was acquired
   * @param expiresAt when its lease ends unless renewed
   * @param pid the holder's process id, 0 if unknown
   * @param hostname the holder's machine, empty if unknown
   * @throws NullPointerException if id, name, createdAt or expiresAt is null
   * @throws IllegalArgumentException if the id is empty or expiresAt is before createdAt
   */
  public LockInfo(
      String id,
      String name,
      String operator,
      String operation,
      String reason,
      Instant createdAt,
      Instant expiresAt,
      long pid,
      String hostname) {
    this(id, name, operator, operation, reason, createdAt, expiresAt, pid, hostname, 0, false);
  }

  /**
   * Whether the lease has ended at {@code now}: a lock is stale from its {@code expiresAt} on
   * (inclusive), and may then be taken over.
   *
   * @param now the current time, from the provider's clock
   * @return {@code true} if {@code now} is at or after {@link #expiresAt()}
   */
  public boolean isExpired(Instant now) {
    return !now.isBefore(expiresAt);
  }

  /**
   * Returns a copy with another expiry, as a renewal writes.
   *
   * @param newExpiresAt the new end of the lease
   * @return a new lock description
   */
  public LockInfo withExpiresAt(Instant newExpiresAt) {
    return new LockInfo(id, name, operator, operation, reason, createdAt, newExpiresAt, pid, hostname, token, released);
  }

  /**
   * Returns a copy with another fencing token.
   *
   * @param newToken the token, not negative
   * @return a new lock description
   * @throws IllegalArgumentException if the token is negative
   */
  public LockInfo withToken(long newToken) {
    return new LockInfo(id, name, operator, operation, reason, createdAt, expiresAt, pid, hostname, newToken, released);
  }

  /**
   * The record this lock leaves behind when it is released at {@code at}: same id and token, marked
   * released, its lease ended at the release time (or at its creation time, if the clock reads
   * earlier). Versions of infrastate without tokens read it as a stale lock, which they may take
   * over.
   *
   * @param at the release time
   * @return a new, released lock description
   */
  public LockInfo releasedAt(Instant at) {
    Instant end = at.isBefore(createdAt) ? createdAt : at.isAfter(expiresAt) ? expiresAt : at;
    return new LockInfo(id, name, operator, operation, reason, createdAt, end, pid, hostname, token, true);
  }

  /**
   * A one-line description for messages and logs: who, where, what, since when, until when. The lock
   * id is included because an operator needs it for {@link LockProvider#forceUnlock(String,
   * String)}; releasing through the holder's {@link Lock} needs no id.
   *
   * @return such as {@code "alice@build-7 (pid 4242 on build-7) for deploy (ticket OPS-1), since
   *     2026-01-01T10:00:00Z, lease until 2026-01-01T10:30:00Z, lock id lock_…, token 7"}
   */
  public String describe() {
    StringBuilder sb = new StringBuilder(operator.isEmpty() ? "unknown operator" : operator);
    if (pid > 0 || !hostname.isEmpty()) {
      sb.append(" (");
      if (pid > 0) {
        sb.append("pid ").append(pid);
      }
      if (!hostname.isEmpty()) {
        sb.append(pid > 0 ? " on " : "on ").append(hostname);
      }
      sb.append(')');
    }
    if (!operation.isEmpty()) {
      sb.append(" for ").append(operation);
    }
    if (!reason.isEmpty()) {
      sb.append(" (").append(reason).append(')');
    }
    sb.append(", since ").append(createdAt).append(", lease until ").append(expiresAt);
    sb.append(", lock id ").append(id);
    if (token > 0) {
      sb.append(", token ").append(token);
    }
    return sb.toString();
  }
}
