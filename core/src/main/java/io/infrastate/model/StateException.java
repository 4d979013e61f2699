package io.infrastate.model;

/**
 * The root of every exception infrastate throws. Unchecked, as in Jackson 3 and the AWS SDK v2: a
 * caller catches the subtype it can act on and lets the rest propagate.
 *
 * <p>Subtypes: {@link ConflictException} (retries exhausted), {@link CorruptStateException} (stored
 * state is damaged; nothing was overwritten), {@link LineageMismatchException}, {@link
 * InvalidStateException} (a write was vetoed by validation), {@link
 * UnsupportedFormatVersionException}, {@link BackendException} (storage I/O), {@link
 * CommitOutcomeUnknownException} (a write whose outcome cannot be known), {@link
 * UnknownBackendException} (no backend for a URI), and the lock exceptions in {@code
 * io.infrastate.lock}. Messages say what happened, to what, and what to do; they never contain
 * secret values.
 */
public class StateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with a message.
   *
   * @param message what happened, to what, and what to do
   */
  public StateException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and a cause.
   *
   * @param message what happened, to what, and what to do
   * @param cause the underlying failure
   */
  public StateException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Whether repeating the same call later may succeed without any other change, as the AWS SDK's
   * {@code SdkException.retryable()} answers. A conflict or a transient I/O failure is retryable;
   * damage, validation failures and bad input are not.
   *
   * @return {@code true} if a retry may succeed
   */
  public boolean retryable() {
    return false;
  }
}
