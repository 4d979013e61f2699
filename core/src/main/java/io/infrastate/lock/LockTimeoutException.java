package io.infrastate.lock;

import io.infrastate.model.StateException;
import java.time.Duration;
import java.util.Optional;

/**
 * A lock could not be acquired within the timeout because somebody else held it. The message says
 * who holds it, since when and until when, and what to do (wait, or {@link
 * LockProvider#forceUnlock(String, String)} if the holder is known to be gone).
 */
public class LockTimeoutException extends StateException {
  private static final long serialVersionUID = 1L;

  private final transient LockInfo holder;
  /** How long the caller waited. */
  private final Duration waited;

  /**
   * Creates the error.
   *
   * @param message who holds the lock and what to do
   * @param holder the holder seen last, or {@code null} if none could be read
   * @param waited how long the caller waited
   */
  public LockTimeoutException(String message, LockInfo holder, Duration waited) {
    super(message);
    this.holder = holder;
    this.waited = waited;
  }

  /**
   * The holder seen at the last attempt.
   *
   * @return the holder's lock description, or empty if it could not be read
   */
  public Optional<LockInfo> holder() {
    return Optional.ofNullable(holder);
  }

  /**
   * How long the caller waited.
   *
   * @return the timeout that was given
   */
  public Duration waited() {
    return waited;
  }

  @Override
  public boolean retryable() {
    return true;
  }
}
