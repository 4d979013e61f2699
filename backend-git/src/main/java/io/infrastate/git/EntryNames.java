package io.infrastate.git;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Set;

/**
 * The file names of entries in the tree layout ({@link GitLayout#TREE}): {@code FANOUT/NAME.json},
 * where NAME is the entry's name (a host's name, a resource's key) encoded so that it is a valid,
 * portable file name, and FANOUT the first two hexadecimal digits of the SHA-1 of the name.
 *
 * <h2>Encoding</h2>
 *
 * The name's UTF-8 bytes are kept where they are lowercase ASCII letters, digits, {@code -}, {@code
 * _} or a {@code .} that is not the first character; every other byte, uppercase letters included,
 * is written as {@code %XX} (two uppercase hexadecimal digits). So {@code web01} stays {@code
 * web01}, {@code Web} becomes {@code %57eb} and {@code a/b} becomes {@code a%2Fb}. The encoding is
 * reversible, and two distinct names never map to file names that differ only in case, so a
 * checkout on a case-insensitive file system keeps them apart. A name whose first part is a Windows
 * device name ({@code con}, {@code nul}, {@code com1}...) has its first character encoded. The
 * empty name is {@code %}.
 *
 * <h2>Long names</h2>
 *
 * An encoded name longer than {@value #MAX_ENCODED} characters is cut to {@value #KEPT} characters
 * (never inside a {@code %XX}) followed by {@code ~} and the first 16 hexadecimal digits of the
 * SHA-1 of the name; the full name is inside the file. A {@code ~} never appears in an encoded name
 * otherwise, so such a file name cannot be taken for another name's.
 *
 * <p>Stateless and thread-safe.
 */
final class EntryNames {
  /** The longest encoded name kept whole. */
  static final int MAX_ENCODED = 120;
  /** How much of a longer encoded name is kept before its hash. */
  static final int KEPT = 96;

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
  private static final Set<String> DEVICES = Set.of("con", "prn", "aux", "nul", "com1", "com2", "com3", "com4",
      "com5", "com6", "com7", "com8", "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9");

  private EntryNames() {}

  /** The entry's path relative to its section directory: {@code FANOUT/ENCODED.json}. */
  static String path(String name) {
    return fanout(name) + "/" + fileName(name);
  }

  /** The fan-out directory: the first two lowercase hexadecimal digits of the SHA-1 of the name. */
  static String fanout(String name) {
    byte[] h = sha1(name);
    return String.format(Locale.ROOT, "%02x", h[0] & 0xff);
  }

  /** The file name, with {@code .json}. */
  static String fileName(String name) {
    if (name.isEmpty()) {
      return "%.json";
    }
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(utf8.length + 8);
    for (int i = 0; i < utf8.length; i++) {
      int c = utf8[i] & 0xff;
      if (safe(c, i)) {
        sb.append((char) c);
      } else {
        escape(sb, c);
      }
    }
    int dot = sb.indexOf(".");
    String base = dot < 0 ? sb.toString() : sb.substring(0, dot);
    if (DEVICES.contains(base)) {
      sb.replace(0, 1, "");
      StringBuilder first = new StringBuilder();
      escape(first, utf8[0] & 0xff);
      sb.insert(0, first);
    }
    String encoded = sb.toString();
    if (encoded.length() > MAX_ENCODED) {
      int cut = KEPT;
      if (encoded.charAt(cut - 1) == '%') {
        cut -= 1;
      } else if (encoded.charAt(cut - 2) == '%') {
        cut -= 2;
      }
      StringBuilder hash = new StringBuilder();
      byte[] h = sha1(name);
      for (int i = 0; i < 8; i++) {
        hash.append(String.format(Locale.ROOT, "%02x", h[i] & 0xff));
      }
      encoded = encoded.substring(0, cut) + "~" + hash;
    }
    return encoded + ".json";
  }

  /**
   * The name a file name encodes, or null if it is not an encoded name (or a long name's cut one,
   * whose full name is only in the file).
   */
  static String nameOf(String fileName) {
    if (!fileName.endsWith(".json")) {
      return null;
    }
    String encoded = fileName.substring(0, fileName.length() - 5);
    if (encoded.equals("%")) {
      return "";
    }
    if (encoded.indexOf('~') >= 0) {
      return null;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%') {
        if (i + 2 >= encoded.length()) {
          return null;
        }
        int hi = Character.digit(encoded.charAt(i + 1), 16);
        int lo = Character.digit(encoded.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        out.write(hi * 16 + lo);
        i += 2;
      } else {
        out.write(c);
      }
    }
    String name = out.toString(StandardCharsets.UTF_8);
    return fileName(name).equals(fileName) ? name : null;
  }

  private static boolean safe(int c, int at) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || (c == '.' && at > 0);
  }

  private static void escape(StringBuilder sb, int c) {
    sb.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
  }

  private static byte[] sha1(String name) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(name.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this Java runtime", e);
    }
  }
}
