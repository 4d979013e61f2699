package io.infrastate.spi;

import io.infrastate.model.Snapshot;
import io.infrastate.model.MissingKeyException;
import java.nio.charset.StandardCharsets;

/**
 * The form in which a backend stores the bytes of one version: the narrow hook through which
 * whole-state encryption reaches every backend. A backend that supports it ({@link
 * StoredFormBackend}) passes every byte sequence it stores for a version — a whole state (the state
 * file, a backup, a history version, a Git blob, a checkpoint), or one record of changes — through
 * {@link #seal}, and every such sequence it reads through {@link #open} before decoding it. The
 * backend's own framing (lengths, checksums, file names) stays outside and unchanged.
 *
 * <p>{@link #PLAIN} is the identity, which a backend uses unless told otherwise; it refuses sealed
 * bytes with a {@link MissingKeyException}. {@code Keyring.protect} installs a form that seals
 * versions whose key record asks for whole-state encryption (see {@code docs/secrets.md}).
 *
 * <p>Implementations are thread-safe.
 */
public interface StoredForm {
  /** The first bytes of every sealed byte sequence. */
  String MAGIC = "infrastate:encrypted:v1\n";

  /** Part names: a whole state. */
  String STATE = "state";

  /** Part names: one record of changes (a journal record, an S3 log record). */
  String RECORD = "record";

  /** Part names: the audit entry of a version kept apart from it (who, what, why). */
  String AUDIT = "audit";

  /** The identity: bytes are stored as they are; sealed bytes cannot be read. */
  StoredForm PLAIN = new StoredForm() {
    @Override
    public boolean seals(Snapshot version) {
      return false;
    }

    @Override
    public byte[] seal(Snapshot version, String part, byte[] plain) {
      return plain;
    }

    @Override
    public byte[] open(byte[] stored, String part, String location) {
      if (isSealed(stored)) {
        throw new MissingKeyException("The state at " + location + " is encrypted, and this handle holds no key."
            + " Open it through a keyring (Keyring.protect, or INFRASTATE_PASSPHRASE, --key-file or --key-command on"
            + " the command line). Nothing was read or written.", "");
      }
      return stored;
    }

    @Override
    public String toString() {
      return "plain";
    }
  };

  /**
   * Whether {@link #seal} changes the bytes of this version: a backend that streams plain bytes
   * may skip collecting them when it does not.
   *
   * @param version the version about to be stored
   * @return whether its bytes are sealed
   */
  boolean seals(Snapshot version);

  /**
   * The bytes to store for one part of a version.
   *
   * @param version the version the bytes belong to (its metadata binds them; its key record says
   *     whether and how to encrypt)
   * @param part {@link #STATE}, {@link #RECORD} or {@link #AUDIT}
   * @param plain the encoded part
   * @return the bytes to store: {@code plain} itself when the version is not encrypted
   * @throws io.infrastate.model.StateException if the key to seal with is not available
   */
  byte[] seal(Snapshot version, String part, byte[] plain);

  /**
   * The encoded part from stored bytes.
   *
   * @param stored the bytes read
   * @param part {@link #STATE}, {@link #RECORD} or {@link #AUDIT}: what the backend expects there
   * @param location the stored object, for messages
   * @return the encoded part: {@code stored} itself when it is not sealed
   * @throws io.infrastate.model.SecretKeyException if no key, or a wrong one, is held
   * @throws io.infrastate.crypto.TamperedSecretException if the bytes do not authenticate (altered,
   *     or moved from another part, version or state)
   */
  byte[] open(byte[] stored, String part, String location);

  /**
   * The encoded part from a stream of stored bytes, as {@link #open} returns it, for a backend that
   * decodes from a stream. The default reads the stream whole; a form may open it piece by piece,
   * failing at the first piece that does not authenticate.
   *
   * @param stored the stored bytes, from their start; the caller closes it
   * @param part {@link #STATE}, {@link #RECORD} or {@link #AUDIT}: what the backend expects there
   * @param location the stored object, for messages
   * @return the encoded part
   * @throws java.io.IOException if reading fails
   * @throws io.infrastate.model.SecretKeyException if no key, or a wrong one, is held
   * @throws io.infrastate.crypto.TamperedSecretException if the bytes do not authenticate
   */
  default java.io.InputStream openStream(java.io.InputStream stored, String part, String location) throws java.io.IOException {
    return new java.io.ByteArrayInputStream(open(stored.readAllBytes(), part, location));
  }

  /**
   * Whether bytes are sealed (start with {@link #MAGIC}).
   *
   * @param stored bytes read
   * @return whether they are sealed
   */
  static boolean isSealed(byte[] stored) {
    byte[] magic = MAGIC.getBytes(StandardCharsets.US_ASCII);
    if (stored.length < magic.length) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if (stored[i] != magic[i]) {
        return false;
      }
    }
    return true;
  }
}
