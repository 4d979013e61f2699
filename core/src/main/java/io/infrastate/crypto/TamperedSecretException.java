package io.infrastate.crypto;

import io.infrastate.model.CorruptStateException;

/**
 * Stored ciphertext does not authenticate although the key is right: a secret's stored text or the
 * state's wrapped data key was altered, or a sealed value was moved to another host, field or state.
 * This is damage, as {@link CorruptStateException} says: nothing was written, and the stored bytes
 * are as they were. Restore the value from the history, or set the secret again.
 */
public class TamperedSecretException extends CorruptStateException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the error.
   *
   * @param location the state, or the value's place such as {@code $.hosts.web01.vars.db_password}
   * @param jsonPath the JSON path of the value, or {@code null}
   * @param message what does not authenticate and what to do
   */
  public TamperedSecretException(String location, String jsonPath, String message) {
    super(location, jsonPath, message, null);
  }
}
