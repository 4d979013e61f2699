package io.infrastate.inventory;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/*
 * Ansible Vault 1.1 is owned here because no Java library implements it: the format is Ansible's own
 * (PBKDF2-HMAC-SHA256 at 10,000 iterations over a 32-byte salt, giving an AES-256 key, an
 * HMAC-SHA256 key and a CTR counter; PKCS#7 padding; AES-256-CTR; HMAC-SHA256 over the ciphertext;
 * the three parts hexlified, joined by newlines, hexlified again, wrapped at 80 characters). The
 * JDK provides every primitive; this class only lays them out as ansible-vault does, and its tests
 * check it against the real ansible-vault in both directions.
 */

/**
 * Encrypts and decrypts values in Ansible Vault format 1.1 ({@code $ANSIBLE_VAULT;1.1;AES256}), as
 * {@code ansible-vault encrypt_string} does, with a vault password the user supplies. {@link
 * AnsibleYaml#write(Inventory, java.io.Writer, AnsibleVault)} writes secret values with it as
 * {@code !vault |} scalars, which Ansible decrypts with its own {@code --vault-password-file}.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class AnsibleVault {
  /** The first line of every value this class writes. */
  public static final String HEADER = "$ANSIBLE_VAULT;1.1;AES256";

  private static final int ITERATIONS = 10_000;
  private static final int SALT_BYTES = 32;
  private static final int LINE = 80;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private final char[] password;

  private AnsibleVault(char[] password) {
    this.password = password;
  }

  /**
   * A vault with a password, as Ansible reads a {@code --vault-password-file}: the text with
   * surrounding white space removed.
   *
   * @param password the vault password
   * @return a vault
   * @throws InventoryException if the password is empty
   */
  public static AnsibleVault withPassword(String password) {
    String p = password.strip();
    if (p.isEmpty()) {
      throw new InventoryException(InventoryException.Kind.IO, null, 0,
          "the vault password is empty; a vault password file holds the password on its first line");
    }
    return new AnsibleVault(p.toCharArray());
  }

  /**
   * Encrypts a value with a fresh salt.
   *
   * @param plaintext the clear value
   * @return {@value #HEADER}, a newline, and the hex lines, each ending in a newline
   */
  public String encrypt(String plaintext) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    Keys k = keys(salt);
    byte[] data = plaintext.getBytes(StandardCharsets.UTF_8);
    int pad = 16 - data.length % 16;
    byte[] padded = Arrays.copyOf(data, data.length + pad);
    Arrays.fill(padded, data.length, padded.length, (byte) pad);
    byte[] cipher = ctr(k, padded);
    byte[] mac = hmac(k, cipher);
    String body = HEX.formatHex(salt) + "\n" + HEX.formatHex(mac) + "\n" + HEX.formatHex(cipher);
    String hex = HEX.formatHex(body.getBytes(StandardCharsets.US_ASCII));
    StringBuilder out = new StringBuilder(HEADER).append('\n');
    for (int i = 0; i < hex.length(); i += LINE) {
      out.append(hex, i, Math.min(hex.length(), i + LINE)).append('\n');
    }
    return out.toString();
  }

  /**
   * Decrypts a value that {@code ansible-vault} (format 1.1 or 1.2) or {@link #encrypt(String)}
   * wrote.
   *
   * @param vaultText the vault text, header first; white space between lines is ignored
   * @return the clear value
   * @throws InventoryException if it is not vault text, or the password is wrong or the text
   *     altered (the HMAC fails)
   */
  public String decrypt(String vaultText) {
    String[] lines = vaultText.strip().split("\\R", 2);
    String[] header = lines[0].strip().split(";");
    if (lines.length < 2 || header.length < 3 || !header[0].equals("$ANSIBLE_VAULT")
        || !(header[1].equals("1.1") || header[1].equals("1.2")) || !header[2].equals("AES256")) {
      throw bad("it does not start with $ANSIBLE_VAULT;1.1;AES256 (or 1.2)");
    }
    try {
      String hex = lines[1].replaceAll("\\s", "");
      String[] parts = new String(HEX.parseHex(hex), StandardCharsets.US_ASCII).split("\n");
      if (parts.length != 3) {
        throw bad("its body does not hold salt, HMAC and ciphertext");
      }
      byte[] salt = HEX.parseHex(parts[0]);
      byte[] mac = HEX.parseHex(parts[1]);
      byte[] cipher = HEX.parseHex(parts[2]);
      Keys k = keys(salt);
      if (!MessageDigest.isEqual(mac, hmac(k, cipher))) {
        throw bad("its HMAC does not match: the vault password is wrong or the value was altered");
      }
      byte[] padded = ctr(k, cipher);
      int pad = padded.length == 0 ? 0 : padded[padded.length - 1];
      if (pad < 1 || pad > 16 || pad > padded.length) {
        throw bad("its padding is not PKCS#7");
      }
      return new String(padded, 0, padded.length - pad, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw bad("it is not hex (" + e.getMessage() + ")");
    }
  }

  private static InventoryException bad(String why) {
    return new InventoryException(InventoryException.Kind.VAULT, null, 0, "cannot decrypt the vault value: " + why);
  }

  private record Keys(byte[] cipher, byte[] mac, byte[] counter) {}

  private Keys keys(byte[] salt) {
    PBEKeySpec spec = new PBEKeySpec(password, salt, ITERATIONS, 80 * 8);
    try {
      byte[] m = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      return new Keys(Arrays.copyOfRange(m, 0, 32), Arrays.copyOfRange(m, 32, 64), Arrays.copyOfRange(m, 64, 80));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available in this JVM: " + e, e);
    } finally {
      spec.clearPassword();
    }
  }

  private static byte[] ctr(Keys k, byte[] in) {
    try {
      Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k.cipher(), "AES"), new IvParameterSpec(k.counter()));
      return c.doFinal(in);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-CTR is not available in this JVM: " + e, e);
    }
  }

  private static byte[] hmac(Keys k, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(k.mac(), "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available in this JVM: " + e, e);
    }
  }

  @Override
  public String toString() {
    return "AnsibleVault[password hidden]";
  }

}
