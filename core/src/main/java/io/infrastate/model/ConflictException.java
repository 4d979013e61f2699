package io.infrastate.model;

/**
 * A write could not be applied because other writers kept changing the stored state: the
 * compare-and-swap failed on every one of the attempts allowed by {@link
 * io.infrastate.StateOptions#maxAttempts()}. Nothing of this write was persisted; the in-memory state holds the
 * latest stored version. Retrying later is safe.
 */
public class ConflictException extends StateException {
  private static final long serialVersionUID = 1L;

  /** How many times the change was applied to a fresh version and refused. */
  private final int attempts;

  /**
   * Creates a conflict error.
   *
   * @param message what happened and what to do
   * @param attempts how many times the change was applied and refused
   */
  public ConflictException(String message, int attempts) {
    super(message);
    this.attempts = attempts;
  }

  /**
   * How many times the change was applied to a fresh version and refused.
   *
   * @return the number of attempts
   */
  public int attempts() {
    return attempts;
  }

  @Override
  public boolean retryable() {
    return true;
  }
}
