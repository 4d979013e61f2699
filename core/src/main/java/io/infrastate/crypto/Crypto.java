package io.infrastate.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with a random 96-bit nonce and a 128-bit tag, from the JDK's own provider; the one
 * cipher of this package. Thread-safe: each thread uses a cipher of its own.
 */
final class Crypto {
  static final int KEY_BYTES = 32;
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * One AES/GCM cipher per thread, initialized afresh (key, nonce, mode) by every use: looking the
   * cipher up and expanding the same key again on every call cost more than encrypting a journal
   * record. Each use runs from init to its final call within one method, so uses on a thread never
   * interleave.
   */
  private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(() -> {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM: " + e, e);
    }
  });

  private Crypto() {}

  private static Cipher gcm() {
    return GCM.get();
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** Encrypts: returns nonce || ciphertext || tag. */
  static byte[] seal(byte[] key, byte[] plain, byte[] aad) {
    byte[] nonce = random(NONCE_BYTES);
    try {
      Cipher c = gcm();
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
      Cipher c = gcm();
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
      c.updateAAD(aad);
      return c.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM: " + e, e);
    }
  }

  /** Plain bytes per segment of {@link #sealAfter}: small enough to stay in cache, and compiled code. */
  static final int SEGMENT = 64 * 1024;

  /**
   * Plain bytes per cipher call within a segment when sealing. The JDK's GCM encrypts a stream of
   * small updates with its compiled intrinsics (AES-CTR, GHASH) soon after start-up, whereas one
   * call per segment keeps running far slower code for a long time; the output is the same.
   * Opening gains nothing from it: GCM decryption holds the data back until the tag is checked.
   */
  private static final int CHUNK = 4 * 1024;

  /**
   * Encrypts after a clear header: returns header || nonce || segment... in one array. The plain
   * bytes are sealed in segments of {@link #SEGMENT} bytes (the last may be shorter or empty), each
   * AES-256-GCM under the nonce XOR its index, with the header, the index and whether it is the last
   * as authenticated data: segments cannot be reordered, dropped, repeated or cut off unnoticed.
   * Segments keep each cipher call small, which the JDK's GCM runs many times faster than one call
   * over many megabytes.
   */
  static byte[] sealAfter(byte[] key, byte[] header, byte[] plain) {
    byte[] nonce = random(NONCE_BYTES);
    int segments = Math.max(1, (plain.length + SEGMENT - 1) / SEGMENT);
    byte[] out = new byte[Math.addExact(Math.addExact(header.length + NONCE_BYTES, plain.length), segments * (TAG_BITS / 8))];
    System.arraycopy(header, 0, out, 0, header.length);
    System.arraycopy(nonce, 0, out, header.length, NONCE_BYTES);
    try {
      Cipher c = gcm();
      SecretKeySpec k = new SecretKeySpec(key, "AES");
      int at = header.length + NONCE_BYTES;
      for (int i = 0; i < segments; i++) {
        int from = i * SEGMENT;
        int len = Math.min(SEGMENT, plain.length - from);
        c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(TAG_BITS, segmentNonce(nonce, i)));
        c.updateAAD(header);
        c.updateAAD(segmentAad(i, i == segments - 1));
        int p = from;
        for (int end = from + len; end - p > CHUNK; p += CHUNK) {
          at += c.update(plain, p, CHUNK, out, at);
        }
        at += c.doFinal(plain, p, from + len - p, out, at);
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM: " + e, e);
    }
  }

  /**
   * Decrypts what {@link #sealAfter} wrote, the header being its first {@code headerLength} bytes.
   *
   * @return the plaintext, or null if any segment does not authenticate or segments are missing
   */
  static byte[] openAfter(byte[] key, byte[] sealed, int headerLength) {
    int tag = TAG_BITS / 8;
    int body = sealed.length - headerLength - NONCE_BYTES;
    if (body < tag) {
      return null;
    }
    int segments = (body + SEGMENT + tag - 1) / (SEGMENT + tag);
    int plainLength = body - segments * tag;
    if (body - (segments - 1) * (SEGMENT + tag) < tag) {
      return null; // the last segment is shorter than its tag: cut off
    }
    byte[] nonce = Arrays.copyOfRange(sealed, headerLength, headerLength + NONCE_BYTES);
    byte[] plain = new byte[plainLength];
    try {
      Cipher c = gcm();
      SecretKeySpec k = new SecretKeySpec(key, "AES");
      int at = headerLength + NONCE_BYTES;
      int to = 0;
      for (int i = 0; i < segments; i++) {
        int len = Math.min(SEGMENT + tag, sealed.length - at);
        c.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(TAG_BITS, segmentNonce(nonce, i)));
        c.updateAAD(sealed, 0, headerLength);
        c.updateAAD(segmentAad(i, i == segments - 1));
        to += c.doFinal(sealed, at, len, plain, to);
        at += len;
      }
      return plain;
    } catch (AEADBadTagException e) {
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM: " + e, e);
    }
  }

  /**
   * Opens one segment of what {@link #sealAfter} wrote, for a reader that streams.
   *
   * @return the plain bytes written to {@code out}, or -1 if the segment does not authenticate
   */
  static int openSegment(byte[] key, byte[] header, byte[] nonce, int index, boolean last, byte[] in, int len, byte[] out) {
    try {
      Cipher c = gcm();
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, segmentNonce(nonce, index)));
      c.updateAAD(header);
      c.updateAAD(segmentAad(index, last));
      return c.doFinal(in, 0, len, out, 0);
    } catch (AEADBadTagException e) {
      return -1;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM: " + e, e);
    }
  }

  private static byte[] segmentNonce(byte[] nonce, int index) {
    byte[] n = nonce.clone();
    n[8] ^= (byte) (index >>> 24);
    n[9] ^= (byte) (index >>> 16);
    n[10] ^= (byte) (index >>> 8);
    n[11] ^= (byte) index;
    return n;
  }

  private static byte[] segmentAad(int index, boolean last) {
    return ByteBuffer.allocate(5).putInt(index).put((byte) (last ? 1 : 0)).array();
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
