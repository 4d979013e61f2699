package io.infrastate.crypto;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.SecretKeyException;
import io.infrastate.spi.Backend;
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

  /**
   * Stores every later version of the state encrypted (AES-256-GCM under the state's data key).
   *
   * @param backend a backend from {@link Keyring#protect}
   * @return the serial of the new version
   * @throws IllegalArgumentException if the backend was not opened through a keyring
   * @throws SecretKeyException if the keyring does not open the state's key record
   * @throws io.infrastate.model.StateException on storage failure
   */
  public static long encrypt(Backend backend) {
    return SealingBackend.of(backend).changeRecord((l, r, k) -> Map.entry(r.withEncryptState(true), k),
        audit("state encrypt", "store the state encrypted"));
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
