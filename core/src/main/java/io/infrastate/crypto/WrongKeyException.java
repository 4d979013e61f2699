package io.infrastate.crypto;

import io.infrastate.model.SecretKeyException;

/**
 * None of the keys the handle holds unwraps the state's data key: a wrong passphrase, another key
 * file, a command that printed another key. Nothing was read or written.
 */
public class WrongKeyException extends SecretKeyException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the error.
   *
   * @param message what happened, which key was expected and how to supply it
   * @param expectedKey the keys that would open the state
   */
  public WrongKeyException(String message, String expectedKey) {
    super(message, expectedKey);
  }
}
