package io.infrastate.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with a random 96-bit nonce and a 128-bit tag, from the JDK's own provider; the one
 * cipher of this package. Stateless and thread-safe.
 */
final class Crypto {
  static final int KEY_BYTES = 32;
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;

  private static final SecureRandom RANDOM = new SecureRandom();

  private Crypto() {}

  static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** Encrypts: returns nonce || ciphertext || tag. */
  static byte[] seal(byte[] key, byte[] plain, byte[] aad) {
    byte[] nonce = random(NONCE_BYTES);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad);
      byte[] out = new byte[NONCE_BYTES + c.getOutputSize(plain.length)];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      c.doFinal(plain, 0, plain.length, out, NONCE_BYTES);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM: " + e, e);
    }
  }

  /**
   * Decrypts nonce || ciphertext || tag.
   *
   * @return the plaintext, or null if it does not authenticate (altered, or another key or AAD)
   */
  static byte[] open(byte[] key, byte[] sealed, byte[] aad) {
    if (sealed.length < NONCE_BYTES + TAG_BITS / 8) {
      return null;
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
      c.updateAAD(aad);
      return c.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM: " + e, e);
    }
  }

  /**
   * Encrypts after a clear header that is also the authenticated data: returns header || nonce ||
   * ciphertext || tag, in one array.
   */
  static byte[] sealAfter(byte[] key, byte[] header, byte[] plain) {
    byte[] nonce = random(NONCE_BYTES);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(header);
      byte[] out = new byte[header.length + NONCE_BYTES + c.getOutputSize(plain.length)];
      System.arraycopy(header, 0, out, 0, header.length);
      System.arraycopy(nonce, 0, out, header.length, NONCE_BYTES);
      c.doFinal(plain, 0, plain.length, out, header.length + NONCE_BYTES);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM: " + e, e);
    }
  }

  /**
   * Decrypts what {@link #sealAfter} wrote, the header being its first {@code headerLength} bytes.
   *
   * @return the plaintext, or null if it does not authenticate
   */
  static byte[] openAfter(byte[] key, byte[] sealed, int headerLength) {
    if (sealed.length < headerLength + NONCE_BYTES + TAG_BITS / 8) {
      return null;
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, sealed, headerLength, NONCE_BYTES));
      c.updateAAD(sealed, 0, headerLength);
      int from = headerLength + NONCE_BYTES;
      return c.doFinal(sealed, from, sealed.length - from);
    } catch (AEADBadTagException e) {
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM: " + e, e);
    }
  }

  static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available in this JVM: " + e, e);
    }
  }

  /** Authenticated data: a label, then each part with its length, so that no two lists collide. */
  static byte[] aad(String label, String... parts) {
    byte[][] encoded = new byte[parts.length][];
    int n = 4 + label.length();
    for (int i = 0; i < parts.length; i++) {
      encoded[i] = parts[i].getBytes(StandardCharsets.UTF_8);
      n += 4 + encoded[i].length;
    }
    ByteBuffer b = ByteBuffer.allocate(n);
    b.putInt(label.length()).put(label.getBytes(StandardCharsets.US_ASCII));
    for (byte[] e : encoded) {
      b.putInt(e.length).put(e);
    }
    return b.array();
  }

  static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Decodes base64url without padding, or returns null if the text is not that. */
  static byte[] unb64(String s) {
    try {
      return Base64.getUrlDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
