package io.infrastate.codec;

/**
 * One instance for equal strings of one decode, so that values repeated in every host or resource
 * (users, groups, types, a var's few values, member names) are held once. Bounded: 1,024 slots,
 * each string having two (from two parts of its hash). A lookup hashes the characters and
 * compares them with at most two strings; a new string takes the first of its slots that is free,
 * else replaces its first slot's string. Frequent strings stay (two whose first slots are the same
 * both find room) while unique ones pass through. Not thread-safe: one per decode.
 */
final class StringPool {
  private static final int MASK = 1023;
  private final String[] slots = new String[MASK + 1];

  /** The pool's instance equal to {@code text}, which becomes it if there is none. */
  String share(String text) {
    int h = text.hashCode();
    h ^= h >>> 16;
    String first = slots[h & MASK];
    if (text.equals(first)) {
      return first;
    }
    String second = slots[(h >>> 10) & MASK];
    if (text.equals(second)) {
      return second;
    }
    return put(h, first, second, text);
  }

  /**
   * The pool's instance holding these characters, created if there is none: the same slots as
   * {@link #share(String)} finds for the equal string (the hash is {@link String#hashCode()}'s).
   */
  String share(char[] chars, int offset, int length) {
    int h = 0;
    for (int i = offset; i < offset + length; i++) {
      h = 31 * h + chars[i];
    }
    h ^= h >>> 16;
    String first = slots[h & MASK];
    if (same(first, chars, offset, length)) {
      return first;
    }
    String second = slots[(h >>> 10) & MASK];
    if (same(second, chars, offset, length)) {
      return second;
    }
    return put(h, first, second, new String(chars, offset, length));
  }

  private String put(int h, String first, String second, String text) {
    slots[first != null && second == null ? (h >>> 10) & MASK : h & MASK] = text;
    return text;
  }

  /** Whether {@code known} (may be null) holds these characters; compares from the end. */
  static boolean same(String known, char[] chars, int offset, int length) {
    if (known == null || known.length() != length) {
      return false;
    }
    for (int i = length - 1; i >= 0; i--) {
      if (known.charAt(i) != chars[offset + i]) {
        return false;
      }
    }
    return true;
  }
}
