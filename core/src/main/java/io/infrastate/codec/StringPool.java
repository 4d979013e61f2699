package io.infrastate.codec;

/**
 * One instance for equal strings of one decode, so that values repeated in every host or resource
 * (users, groups, types, a var's few values, member names) are held once. Bounded: 1,024 slots,
 * each string having two (from two parts of its hash). A lookup hashes the characters and
 * compares them with the strings of at most two slots whose hash is the same; a new string takes
 * the first of its slots that is free, else replaces its first slot's string. Frequent strings
 * stay (two whose first slots are the same both find room) while unique ones pass through. Not
 * thread-safe: one per decode.
 */
final class StringPool {
  private static final int MASK = 1023;
  private final String[] slots = new String[MASK + 1];
  /** The mixed hash of each slot's string, so that most strings that differ are told apart by it. */
  private final int[] hashes = new int[MASK + 1];

  /** The pool's instance equal to {@code text}, which becomes it if there is none. */
  String share(String text) {
    int h = mix(text.hashCode());
    int a = h & MASK;
    String first = slots[a];
    if (first == text || hashes[a] == h && text.equals(first)) {
      return first;
    }
    int b = (h >>> 10) & MASK;
    String second = slots[b];
    if (second == text || hashes[b] == h && text.equals(second)) {
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
    h = mix(h);
    int a = h & MASK;
    if (hashes[a] == h && same(slots[a], chars, offset, length)) {
      return slots[a];
    }
    int b = (h >>> 10) & MASK;
    if (hashes[b] == h && same(slots[b], chars, offset, length)) {
      return slots[b];
    }
    return put(h, slots[a], slots[b], new String(chars, offset, length));
  }

  private static int mix(int h) {
    return h ^ (h >>> 16);
  }

  private String put(int h, String first, String second, String text) {
    int slot = first != null && second == null ? (h >>> 10) & MASK : h & MASK;
    slots[slot] = text;
    hashes[slot] = h;
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
