package io.infrastate.model;

import java.util.Objects;

/**
 * A write made under a lock was refused because the lock no longer protects it: the stored state
 * records a larger fencing token for that lock (somebody acquired it after this holder, typically
 * by taking over a lock whose lease ran out), or the lock is no longer held by this holder's lock
 * id (its lease ended, or it was released or force-unlocked). Nothing of the write was stored.
 *
 * <p>Not retryable as is: the caller's view of the state may be stale. Acquire the lock again,
 * re-read the state, and decide again what to write.
 */
public class LockLostException extends StateException {
  private static final long serialVersionUID = 1L;

  /** The lock the write was made under. */
  private final String lock;
  /** The fencing token the refused write carried. */
  private final long token;
  /** The fencing token the stored state records for the lock. */
  private final long recorded;

  /**
   * Creates the error.
   *
   * @param message what happened, to which state and lock, and what to do
   * @param lock the lock name
   * @param token the fencing token the write carried
   * @param recorded the token the state records for the lock (0 if none), which may be smaller
   *     than {@code token} when the lock was refused because it is no longer held
   */
  public LockLostException(String message, String lock, long token, long recorded) {
    super(message);
    this.lock = Objects.requireNonNull(lock, "lock");
    this.token = token;
    this.recorded = recorded;
  }

  /**
   * The lock the write was made under.
   *
   * @return its name
   */
  public String lock() {
    return lock;
  }

  /**
   * The fencing token the refused write carried.
   *
   * @return the token
   */
  public long token() {
    return token;
  }

  /**
   * The fencing token the stored state records for the lock.
   *
   * @return the token, 0 if the state records none
   */
  public long recorded() {
    return recorded;
  }

  @Override
  public boolean retryable() {
    return false;
  }
}
