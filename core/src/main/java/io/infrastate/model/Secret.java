package io.infrastate.model;

import java.util.Objects;
import java.util.Optional;

/**
 * A var or data value that is stored encrypted in place: {@code state.json} keeps a JSON string
 * {@code "infrastate:secret:v1:KID:…"} where the value stood, so the file stays readable, Go-FTL2
 * still parses it, and a Git diff shows which host changed, but never the value. It prints as
 * {@value #MASK} in {@code toString}, diffs, history and logs.
 *
 * <p>A secret is in one of three forms:
 *
 * <ul>
 *   <li><b>clear</b>: made by {@link #of(String)} (or {@code HostState.Builder.secretVar}); it is
 *       sealed when a handle opened with a {@link io.infrastate.crypto.Keyring} writes it. A handle without a key refuses
 *       to write it ({@link MissingKeyException}), so a clear secret never reaches storage.
 *   <li><b>sealed</b>: read from storage by a handle without the key. It round-trips unchanged
 *       through writes of other fields; {@link #reveal()} throws {@link MissingKeyException}.
 *   <li><b>sealed and openable</b>: read by a handle whose {@link io.infrastate.crypto.Keyring} opened the state's data
 *       key; {@link #reveal()} decrypts it (and throws {@link io.infrastate.crypto.TamperedSecretException} if the stored
 *       text was altered or moved to another host, field or state).
 * </ul>
 *
 * <p>Equality: two sealed secrets are equal when their stored texts are; two clear ones when their
 * values are; a sealed and a clear one never are (writing a clear secret over a sealed one is a
 * change, even with the same value, because it is sealed anew). The hash code never depends on the
 * clear value.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Secret {
  /** How a secret prints wherever it is not explicitly revealed. */
  public static final String MASK = "[secret]";

  /** The start of every stored form. */
  public static final String PREFIX = "infrastate:secret:v1:";

  private final String clear;
  private final String stored;
  private final Opening opening;

  /** The sealed text of a clear secret for the last place it was written to (a cache). */
  private volatile Sealing sealing;

  private Secret(String clear, String stored, Opening opening) {
    this.clear = clear;
    this.stored = stored;
    this.opening = opening;
  }

  /**
   * A clear secret, to be sealed when it is written.
   *
   * @param value the secret text
   * @return a new clear secret
   * @throws NullPointerException if {@code value} is null
   */
  public static Secret of(String value) {
    return new Secret(Objects.requireNonNull(value, "value"), null, null);
  }

  /**
   * A sealed secret from its stored form, as the codecs read it. Nothing is decrypted.
   *
   * @param stored a text for which {@link #isStoredForm(String)} holds
   * @return a sealed secret
   * @throws IllegalArgumentException if the text is not a stored secret
   */
  public static Secret fromStored(String stored) {
    if (!isStoredForm(stored)) {
      throw new IllegalArgumentException("not a stored secret (it must start with " + PREFIX + ")");
    }
    return new Secret(null, stored, null);
  }

  /**
   * Whether a string is the stored form of a secret. Such strings are reserved: a var or data value
   * that starts with {@code infrastate:secret:v1:} is read as a sealed secret.
   *
   * @param text a string, may be null
   * @return {@code true} if it starts with the stored form's prefix
   */
  public static boolean isStoredForm(String text) {
    return text != null && text.startsWith(PREFIX);
  }

  /**
   * Whether a var or data value holds a secret anywhere: is one, or is a map or list that holds one
   * at any depth. Writers that print values in clear use it to refuse them.
   *
   * @param value a var or data value, may be null
   * @return {@code true} if a {@link Secret} is found in it
   */
  public static boolean isIn(Object value) {
    return Json.holdsSecret(value); // known at once for the frozen values the value types hold
  }

  /**
   * The stored form, for codecs and for copying a sealed value verbatim.
   *
   * @return the {@code infrastate:secret:v1:…} text, or empty for a clear secret never read from
   *     storage
   */
  public Optional<String> storedForm() {
    return Optional.ofNullable(stored);
  }

  /**
   * Whether this secret was read from storage (it has a stored form) rather than set in clear.
   *
   * @return {@code true} if sealed
   */
  public boolean isSealed() {
    return stored != null;
  }

  /**
   * Whether {@link #reveal()} can answer without a key error: a clear secret, or a sealed one read
   * by a handle that holds the state's key.
   *
   * @return {@code true} if the clear value can be had
   */
  public boolean canReveal() {
    return clear != null || opening != null;
  }

  /**
   * The clear value. Call it only where the value is needed (to hand it to the program that uses
   * it), never to print or log it.
   *
   * @return the secret text
   * @throws MissingKeyException if the secret is sealed and this handle holds no key for it
   * @throws io.infrastate.crypto.TamperedSecretException if the stored text does not authenticate: it was altered, or
   *     moved from another host, field or state
   */
  public String reveal() {
    if (clear != null) {
      return clear;
    }
    if (opening == null) {
      throw new MissingKeyException(
          "This secret value is sealed and the state was opened without a key, so it cannot be revealed."
              + " Open the state through a Keyring (Keyring.protect(backend)); on the command line set"
              + " INFRASTATE_PASSPHRASE or give --key-file PATH.",
          "");
    }
    return opening.open(stored);
  }

  /**
   * Returns {@value #MASK}: a secret never prints its value.
   *
   * @return {@value #MASK}
   */
  @Override
  public String toString() {
    return MASK;
  }

  /**
   * Equality as the class documentation says: by stored text for sealed secrets, by value for clear
   * ones.
   *
   * @param o another object
   * @return whether both are the same secret
   */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Secret s)) {
      return false;
    }
    if (stored != null || s.stored != null) {
      return Objects.equals(stored, s.stored);
    }
    return clear.equals(s.clear);
  }

  /**
   * A hash of the stored text, or a constant for clear secrets: it never depends on the value.
   *
   * @return the hash code
   */
  @Override
  public int hashCode() {
    return stored != null ? stored.hashCode() : 0x5ec7e7;
  }

  // ------------------------------------------------------------------ sealing machinery
  //
  // Public for io.infrastate.crypto, which seals and opens secrets from a package above this
  // type's; applications have no use for these members.

  /**
   * The clear value if this secret was set in clear. For the sealing machinery; applications use
   * {@link #reveal()}.
   *
   * @return the clear value, or {@code null} for a sealed secret
   */
  public String clearValue() {
    return clear;
  }

  /**
   * How this sealed secret opens. For the sealing machinery.
   *
   * @return the opening, or {@code null} if the secret was read without a key (or is clear)
   */
  public Opening opening() {
    return opening;
  }

  /**
   * A copy of this sealed secret that {@link #reveal()} opens with {@code how}. For the sealing
   * machinery.
   *
   * @param how how to decrypt the stored form
   * @return a sealed, openable copy
   */
  public Secret openableWith(Opening how) {
    return new Secret(null, stored, how);
  }

  /**
   * The cached sealed text of this clear secret for a place. For the sealing machinery.
   *
   * @param place where the secret is written (compared with {@code equals})
   * @return the sealed text, or {@code null} if not sealed for that place yet
   */
  public String sealedFor(Object place) {
    Sealing s = sealing;
    return s != null && s.place.equals(place) ? s.text : null;
  }

  /**
   * Caches the sealed text of this clear secret for a place, so that writing it again keeps its
   * bytes. For the sealing machinery.
   *
   * @param place where the secret is written
   * @param text its sealed text there
   */
  public void rememberSealed(Object place, String text) {
    sealing = new Sealing(place, text);
  }

  /** Decrypts a stored text for the place where it was read; implemented by the sealing machinery. */
  public interface Opening {
    /**
     * Decrypts.
     *
     * @param stored the stored form
     * @return the clear value
     * @throws io.infrastate.crypto.TamperedSecretException if it does not authenticate
     */
    String open(String stored);

    /**
     * The place this opening authenticates for (data key, lineage, location).
     *
     * @return a value with equals
     */
    Object place();
  }

  private record Sealing(Object place, String text) {}
}
