package io.infrastate.crypto;

import io.infrastate.model.StateException;

/**
 * Whole-state encryption was asked of a backend that does not store its versions through a
 * {@link io.infrastate.spi.StoredForm} (the PostgreSQL backend): it would keep storing them in
 * clear. Secret values still work there. Nothing was written.
 */
public class EncryptionUnsupportedException extends StateException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the error.
   *
   * @param message which backend, and what to use instead
   */
  public EncryptionUnsupportedException(String message) {
    super(message);
  }
}
