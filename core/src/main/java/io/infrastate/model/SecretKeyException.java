package io.infrastate.model;


/**
 * A secret could not be sealed or opened for want of the right key. The message says which key
 * the state expects (such as "a passphrase (PBKDF2-HMAC-SHA256)") and how to supply it; {@link
 * #expectedKey()} says the first part alone. Nothing was written. Subtypes: {@link
 * MissingKeyException}, {@link io.infrastate.crypto.WrongKeyException}, {@link io.infrastate.crypto.UnknownKeyProviderException}.
 */
public class SecretKeyException extends StateException {
  private static final long serialVersionUID = 1L;

  /** The keys that would open the state; empty when not known. */
  private final String expectedKey;

  /**
   * Creates the error.
   *
   * @param message what happened, which key was expected and how to supply it
   * @param expectedKey the keys the state's data key is wrapped for, such as {@code "a passphrase
   *     (PBKDF2-HMAC-SHA256)"}; empty when not known
   */
  public SecretKeyException(String message, String expectedKey) {
    super(message);
    this.expectedKey = expectedKey == null ? "" : expectedKey;
  }

  /**
   * The keys that would open the state, as stored beside its wrapped data key.
   *
   * @return a human-readable description, empty when not known
   */
  public String expectedKey() {
    return expectedKey;
  }
}
