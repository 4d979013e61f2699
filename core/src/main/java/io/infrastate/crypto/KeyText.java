package io.infrastate.crypto;

import io.infrastate.model.MissingKeyException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Reads a 256-bit key from what a key file or a key command holds: 32 raw bytes, or their base64. */
final class KeyText {
  private KeyText() {}

  /**
   * The key in {@code content}.
   *
   * @param what the file or command, for messages
   * @return 32 bytes
   * @throws MissingKeyException if it holds no 256-bit key
   */
  static byte[] parse(byte[] content, String what) {
    if (content.length == Crypto.KEY_BYTES) {
      return content.clone();
    }
    String text = new String(content, StandardCharsets.US_ASCII).strip();
    byte[] key = null;
    for (Base64.Decoder d : new Base64.Decoder[] {Base64.getDecoder(), Base64.getUrlDecoder()}) {
      try {
        key = d.decode(text);
        break;
      } catch (IllegalArgumentException e) {
        // try the other alphabet
      }
    }
    if (key == null || key.length != Crypto.KEY_BYTES) {
      throw new MissingKeyException(what + " holds no 256-bit key: it must hold 32 raw bytes or their base64"
          + " (such as `openssl rand -base64 32` prints), but holds " + content.length + " bytes that are neither."
          + " Nothing was read or written.", "a 256-bit key");
    }
    return key;
  }
}
