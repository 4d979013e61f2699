package io.infrastate.crypto;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.SecretKeyException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.HistoryRewritingBackend;
import io.infrastate.spi.StoredFormBackend;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Whole-state encryption and its key lifecycle, on a backend opened through a {@link Keyring}
 * ({@link Keyring#protect}).
 *
 * <pre>{@code
 * Keyring keys = Keyring.of(KeySource.passphrase(passphrase));
 * try (Backend backend = keys.protect(BackendRegistry.defaultRegistry().open("state.json"))) {
 *   StateEncryption.encrypt(backend);                 // every later version is stored encrypted
 *   StateEncryption.rekey(backend, Keyring.of(KeySource.passphrase(newPassphrase)));
 * }
 * }</pre>
 *
 * <h2>WHAT EACH OPERATION WRITES</h2>
 *
 * Each writes one new version (the first of a new state where none is stored yet) that differs
 * from the current one only in the state's key record
 * ({@link KeyRecord}), through the backend's compare-and-swap (a conflict re-reads and retries), so
 * concurrent writers agree on the stored form. Earlier versions keep the form they were written
 * in: encrypting does not encrypt older versions, and decrypting does not decrypt them. A rekey
 * re-wraps the data keys and re-encrypts nothing, so every earlier version stays readable, with the
 * new key, once the current version has been read; the old key no longer opens the state. After
 * each, a backend that stores versions as changes to a base (the file backend's journal) rewrites
 * its base from the new version.
 *
 * <p>This class is stateless and thread-safe.
 */
public final class StateEncryption {
  private StateEncryption() {}

  /** What {@link #encrypt(Backend, History)} and {@link #decrypt(Backend, History)} do with earlier versions. */
  public enum History {
    /** Earlier versions keep the form they were written in. */
    KEEP,
    /**
     * The backend's own earlier versions (the file backend's backup, history, audit entries and
     * journal records) are re-stored in the new form, each file replaced atomically and durably
     * under the state's write lock; backends whose history is immutable (Git, S3) refuse with
     * {@link ImmutableHistoryException} before anything is written.
     */
    REWRITE
  }

  /**
   * Stores every later version of the state encrypted (AES-256-GCM under the state's data key).
   *
   * @param backend a backend from {@link Keyring#protect}
   * @return the serial of the new version
   * @throws IllegalArgumentException if the backend was not opened through a keyring
   * @throws EncryptionUnsupportedException if the backend does not store versions through a {@link
   *     io.infrastate.spi.StoredForm} (PostgreSQL); nothing is written then
   * @throws SecretKeyException if the keyring does not open the state's key record
   * @throws io.infrastate.model.StateException on storage failure
   */
  public static long encrypt(Backend backend) {
    Backend inner = SealingBackend.of(backend).inner();
    if (!(inner instanceof StoredFormBackend)) {
      throw new EncryptionUnsupportedException("The backend " + inner.location() + " cannot store the state encrypted:"
          + " it does not pass its stored versions through a stored form, so they would stay in clear. Nothing was"
          + " written. Mark the values that must stay secret (--secret-var, --secret-data, Secret values), which it"
          + " stores sealed, or keep the state on the file, Git or S3 backend.");
    }
    return SealingBackend.of(backend).changeRecord((l, r, k) -> Map.entry(r.withEncryptState(true), k),
        audit("state encrypt", "store the state encrypted"));
  }

  /**
   * Stores every later version of the state encrypted and, with {@link History#REWRITE}, the
   * backend's own earlier versions too.
   *
   * @param backend a backend from {@link Keyring#protect}
   * @param history whether to rewrite earlier versions
   * @return the serial of the new version
   * @throws IllegalArgumentException if the backend was not opened through a keyring
   * @throws ImmutableHistoryException with {@link History#REWRITE}, if the backend's history cannot
   *     be rewritten (nothing is written then)
   * @throws EncryptionUnsupportedException if the backend does not store versions through a {@link
   *     io.infrastate.spi.StoredForm} (PostgreSQL); nothing is written then
   * @throws SecretKeyException if the keyring does not open the state's key record
   * @throws io.infrastate.model.StateException on storage failure
   */
  public static long encrypt(Backend backend, History history) {
    return thenRewrite(backend, history, "encrypt", () -> encrypt(backend));
  }

  /**
   * Stores every later version of the state in clear again and, with {@link History#REWRITE}, the
   * backend's own earlier versions too (secret values stay sealed).
   *
   * @param backend a backend from {@link Keyring#protect}
   * @param history whether to rewrite earlier versions
   * @return the serial of the new version
   * @throws IllegalArgumentException if the backend was not opened through a keyring
   * @throws ImmutableHistoryException with {@link History#REWRITE}, if the backend's history cannot
   *     be rewritten (nothing is written then)
   * @throws SecretKeyException if the keyring does not open the state's key record
   * @throws io.infrastate.model.StateException on storage failure
   */
  public static long decrypt(Backend backend, History history) {
    return thenRewrite(backend, history, "decrypt", () -> decrypt(backend));
  }

  /**
   * Runs {@code change} and then, with {@link History#REWRITE}, rewrites the backend's earlier
   * versions; a backend that cannot rewrite them is refused before {@code change} runs.
   */
  private static long thenRewrite(Backend backend, History history, String verb, java.util.function.LongSupplier change) {
    HistoryRewritingBackend rewriting = rewriting(backend, history, verb);
    long serial = change.getAsLong();
    if (rewriting != null) {
      rewriting.rewriteHistory();
    }
    return serial;
  }

  /** The backend that rewrites its history, null for {@link History#KEEP}; refuses one that cannot. */
  private static HistoryRewritingBackend rewriting(Backend backend, History history, String verb) {
    Backend inner = SealingBackend.of(backend).inner();
    if (Objects.requireNonNull(history, "history") == History.KEEP) {
      return null;
    }
    if (inner instanceof HistoryRewritingBackend r) {
      return r;
    }
    throw new ImmutableHistoryException("The history of " + inner.location() + " cannot be rewritten: its earlier"
        + " versions (Git commits, S3 log records) are immutable, and keep the form they were written in. Nothing"
        + " was written. Run state " + verb + " without --rewrite-history, and replace the repository or bucket"
        + " (a fresh one seeded with the current version) if its earlier versions must go.");
  }

  /**
   * Stores every later version of the state in clear again (secret values stay sealed).
   *
   * @param backend a backend from {@link Keyring#protect}
   * @return the serial of the new version
   * @throws IllegalArgumentException if the backend was not opened through a keyring
   * @throws SecretKeyException if the keyring does not open the state's key record
   * @throws io.infrastate.model.StateException on storage failure
   */
  public static long decrypt(Backend backend) {
    return SealingBackend.of(backend).changeRecord((l, r, k) -> Map.entry(r.withEncryptState(false), k),
        audit("state decrypt", "store the state in clear"));
  }

  /**
   * Re-wraps the state's data keys under the keys of {@code newKeys} only: afterwards those open the
   * state and every version, and the backend's own keys no longer do. No version is re-encrypted.
   *
   * @param backend a backend from {@link Keyring#protect}, whose keyring opens the state now
   * @param newKeys the keys that will open it
   * @return the serial of the new version
   * @throws IllegalArgumentException if the backend was not opened through a keyring
   * @throws SecretKeyException if the backend's keyring does not open the state's key record
   * @throws io.infrastate.model.StateException on storage failure
   */
  public static long rekey(Backend backend, Keyring newKeys) {
    Objects.requireNonNull(newKeys, "newKeys");
    return SealingBackend.of(backend).changeRecord((l, r, k) -> r.rewrapped(l, k, newKeys.sources(), false),
        audit("state rekey", "re-wrap the data keys under new keys"));
  }

  /**
   * Adds a fresh data key that every later write uses (after a suspected leak of the old one);
   * versions written before stay readable under the keys they were written with, which the state
   * keeps. Wraps every data key under the backend's keyring.
   *
   * @param backend a backend from {@link Keyring#protect}
   * @return the serial of the new version
   * @throws IllegalArgumentException if the backend was not opened through a keyring
   * @throws SecretKeyException if the keyring does not open the state's key record
   * @throws io.infrastate.model.StateException on storage failure
   */
  public static long rotateDataKey(Backend backend) {
    SealingBackend s = SealingBackend.of(backend);
    return s.changeRecord((l, r, k) -> r.rewrapped(l, new LinkedHashMap<>(k), s.sources(), true),
        audit("state rotate-data-key", "use a fresh data key for new writes"));
  }

  /**
   * Whether the current version of the state is stored encrypted.
   *
   * @param backend a backend from {@link Keyring#protect}
   * @return whether its key record asks for whole-state encryption
   * @throws IllegalArgumentException if the backend was not opened through a keyring
   * @throws io.infrastate.model.StateException if the state cannot be read
   */
  public static boolean isEncrypted(Backend backend) {
    return SealingBackend.of(backend).inner().load().map(st -> Envelope.encrypts(st.snapshot())).orElse(false);
  }

  private static AuditEntry audit(String operation, String reason) {
    return new AuditEntry(System.getProperty("user.name", ""), operation, reason, Map.of());
  }
}
