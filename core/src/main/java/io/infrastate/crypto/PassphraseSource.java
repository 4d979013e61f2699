package io.infrastate.crypto;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A passphrase stretched with PBKDF2-HMAC-SHA256 ({@value #ITERATIONS} iterations, as OWASP
 * recommends for it) and a random salt per state, stored beside the wrapped key. Derived keys are
 * kept for the life of this source, so a handle pays the stretching once per state, not once per
 * load.
 */
final class PassphraseSource implements KeySource {
  static final int ITERATIONS = 600_000;
  static final String KDF = "pbkdf2-hmac-sha256";

  /** Stored counts outside this range are refused: too weak, or a hostile file making us spin. */
  private static final int MIN_ITERATIONS = 100_000;
  private static final int MAX_ITERATIONS = 10_000_000;

  private final char[] passphrase;
  private final Map<String, byte[]> derived = new ConcurrentHashMap<>();

  PassphraseSource(char[] passphrase) {
    if (passphrase == null || passphrase.length == 0) {
      throw new IllegalArgumentException("the passphrase must not be empty");
    }
    this.passphrase = passphrase.clone();
  }

  @Override
  public String provider() {
    return "passphrase";
  }

  @Override
  public String describe() {
    return "the passphrase";
  }

  @Override
  public Map<String, String> newParameters() {
    return Map.of("kdf", KDF, "salt", Crypto.b64(Crypto.random(16)), "iterations", Integer.toString(ITERATIONS));
  }

  @Override
  public byte[] key(Map<String, String> parameters) {
    String salt = parameters.get("salt");
    String iterations = parameters.get("iterations");
    byte[] saltBytes = salt == null ? null : Crypto.unb64(salt);
    int n;
    try {
      n = iterations == null ? -1 : Integer.parseInt(iterations);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (!KDF.equals(parameters.get("kdf")) || saltBytes == null || saltBytes.length < 16
        || n < MIN_ITERATIONS || n > MAX_ITERATIONS) {
      throw new TamperedSecretException("passphrase parameters", null,
          "The stored passphrase parameters are not valid (kdf " + KDF + ", a salt of 16 or more bytes, "
              + MIN_ITERATIONS + ".." + MAX_ITERATIONS + " iterations); the state's key record was altered."
              + " Nothing was written; restore the resource infrastate:keys from the history.");
    }
    int count = n;
    return derived.computeIfAbsent(salt + "/" + count, k -> derive(saltBytes, count)).clone();
  }

  private byte[] derive(byte[] salt, int iterations) {
    PBEKeySpec spec = new PBEKeySpec(passphrase, salt, iterations, Crypto.KEY_BYTES * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available in this JVM: " + e, e);
    } finally {
      spec.clearPassword();
    }
  }

  @Override
  public String toString() {
    return "passphrase source";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PassphraseSource p && Arrays.equals(p.passphrase, passphrase);
  }

  @Override
  public int hashCode() {
    return PassphraseSource.class.hashCode();
  }
}
