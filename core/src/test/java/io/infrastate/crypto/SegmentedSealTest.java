package io.infrastate.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Whole states are sealed in segments, each encrypted in small cipher calls: the bytes must be
 * those of one AES-256-GCM call per segment (which is how they are opened, and how earlier
 * versions were written), at every length around the call and segment boundaries.
 */
class SegmentedSealTest {
  private static final byte[] HEADER = "infrastate:encrypted:v1\n{\"part\":\"state\"}\n".getBytes(StandardCharsets.US_ASCII);

  @Test
  void everyLengthAroundTheBoundariesOpensAndMatchesOneCallPerSegment() throws Exception {
    byte[] key = Crypto.random(Crypto.KEY_BYTES);
    Random random = new Random(42);
    int[] lengths = {0, 1, 15, 16, 4095, 4096, 4097, 8192, Crypto.SEGMENT - 1, Crypto.SEGMENT, Crypto.SEGMENT + 1,
        2 * Crypto.SEGMENT + 4096, 3 * Crypto.SEGMENT + 123};
    for (int n : lengths) {
      byte[] plain = new byte[n];
      random.nextBytes(plain);
      byte[] sealed = Crypto.sealAfter(key, HEADER, plain);

      assertThat(Arrays.copyOf(sealed, HEADER.length)).isEqualTo(HEADER);
      assertThat(Crypto.openAfter(key, sealed, HEADER.length)).as("length %s", n).isEqualTo(plain);
      assertThat(sealed).as("length %s", n).isEqualTo(oneCallPerSegment(key, sealed, plain));
    }
  }

  @Test
  void aFlippedByteInAnySegmentFailsToOpenAndLeavesTheCipherUsable() {
    byte[] key = Crypto.random(Crypto.KEY_BYTES);
    byte[] plain = new byte[2 * Crypto.SEGMENT + 5000];
    byte[] sealed = Crypto.sealAfter(key, HEADER, plain);
    for (int at : new int[] {HEADER.length + Crypto.NONCE_BYTES + 4100, sealed.length - Crypto.SEGMENT, sealed.length - 1}) {
      byte[] altered = sealed.clone();
      altered[at] ^= 1;
      assertThat(Crypto.openAfter(key, altered, HEADER.length)).as("byte %s flipped", at).isNull();
    }
    // the thread's cipher, left by a failed check, opens and seals as before
    assertThat(Crypto.openAfter(key, sealed, HEADER.length)).isEqualTo(plain);
    byte[] value = Crypto.seal(key, "v".getBytes(StandardCharsets.UTF_8), HEADER);
    assertThat(Crypto.open(key, value, HEADER)).isEqualTo("v".getBytes(StandardCharsets.UTF_8));
  }

  /** The same sealing with the nonce {@code sealed} holds, written with one cipher call per segment. */
  private static byte[] oneCallPerSegment(byte[] key, byte[] sealed, byte[] plain) throws Exception {
    byte[] nonce = Arrays.copyOfRange(sealed, HEADER.length, HEADER.length + Crypto.NONCE_BYTES);
    int segments = Math.max(1, (plain.length + Crypto.SEGMENT - 1) / Crypto.SEGMENT);
    byte[] out = new byte[sealed.length];
    System.arraycopy(sealed, 0, out, 0, HEADER.length + Crypto.NONCE_BYTES);
    int at = HEADER.length + Crypto.NONCE_BYTES;
    for (int i = 0; i < segments; i++) {
      byte[] n = nonce.clone();
      n[8] ^= (byte) (i >>> 24);
      n[9] ^= (byte) (i >>> 16);
      n[10] ^= (byte) (i >>> 8);
      n[11] ^= (byte) i;
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(Crypto.TAG_BITS, n));
      c.updateAAD(HEADER);
      c.updateAAD(java.nio.ByteBuffer.allocate(5).putInt(i).put((byte) (i == segments - 1 ? 1 : 0)).array());
      int from = i * Crypto.SEGMENT;
      at += c.doFinal(plain, from, Math.min(Crypto.SEGMENT, plain.length - from), out, at);
    }
    return out;
  }
}
