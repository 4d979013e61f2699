package io.infrastate.model;

/**
 * Storage failed: an I/O error on a file, a Git operation or an S3 request. The message names the
 * backend and location (never credentials). When it happens during a write, the in-memory state is
 * unchanged; the write may or may not have reached storage only where the backend says so, and
 * the next write's compare-and-swap finds out which.
 */
public class BackendException extends StateException {
  private static final long serialVersionUID = 1L;

  /** Whether the same call may succeed later. */
  private final boolean retryable;

  /**
   * Creates a backend failure.
   *
   * @param message what failed, where, and what to do
   * @param cause the underlying failure
   * @param retryable whether the same call may succeed later
   */
  public BackendException(String message, Throwable cause, boolean retryable) {
    super(message, cause);
    this.retryable = retryable;
  }

  @Override
  public boolean retryable() {
    return retryable;
  }
}
