package io.infrastate.lock;

import io.infrastate.model.StateException;

/**
 * Somebody else holds a lock: thrown when a holder renews a lock that was taken over or
 * force-unlocked. The message and {@link #holder()} say who holds it now.
 */
public class LockHeldException extends StateException {
  private static final long serialVersionUID = 1L;

  private final transient LockInfo holder;

  /**
   * Creates the error.
   *
   * @param message what happened, to which lock, and what to do
   * @param holder the current holder, or {@code null} if the lock is now free
   */
  public LockHeldException(String message, LockInfo holder) {
    super(message);
    this.holder = holder;
  }

  /**
   * The current holder.
   *
   * @return the holder's lock description, or empty if the lock is free
   */
  public java.util.Optional<LockInfo> holder() {
    return java.util.Optional.ofNullable(holder);
  }

  @Override
  public boolean retryable() {
    return true;
  }
}
