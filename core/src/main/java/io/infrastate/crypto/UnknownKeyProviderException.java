package io.infrastate.crypto;

import io.infrastate.model.SecretKeyException;

/**
 * A key provider was named (on the command line, in settings, or in the state's wrapped-key record)
 * that is neither built in nor found through {@link java.util.ServiceLoader}. Nothing was read or
 * written.
 */
public class UnknownKeyProviderException extends SecretKeyException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the error.
   *
   * @param message the name, the providers known, and what to add to the class path
   * @param expectedKey the keys that would open the state, empty when not known
   */
  public UnknownKeyProviderException(String message, String expectedKey) {
    super(message, expectedKey);
  }
}
