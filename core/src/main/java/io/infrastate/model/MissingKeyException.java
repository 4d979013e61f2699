package io.infrastate.model;

/**
 * A secret must be sealed or revealed but the handle holds no key: a sealed secret was asked for
 * its clear value, or a clear secret was about to be written by a handle opened without a {@link
 * io.infrastate.crypto.Keyring}. Nothing was written.
 */
public class MissingKeyException extends SecretKeyException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the error.
   *
   * @param message what happened, which key was expected and how to supply it
   * @param expectedKey the keys that would open the state, empty when not known
   */
  public MissingKeyException(String message, String expectedKey) {
    super(message, expectedKey);
  }
}
