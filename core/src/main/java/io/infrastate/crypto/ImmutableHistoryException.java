package io.infrastate.crypto;

import io.infrastate.model.StateException;

/**
 * Rewriting the history was asked of a backend whose history is immutable (Git commits, S3 log
 * records and checkpoints): its earlier versions keep the form they were written in. Nothing was
 * written.
 */
public class ImmutableHistoryException extends StateException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the error.
   *
   * @param message which backend, why its history stays, and what to do instead
   */
  public ImmutableHistoryException(String message) {
    super(message);
  }
}
