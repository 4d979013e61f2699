package io.infrastate.lock;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Lock names: the rules every provider enforces, and the conventional names for the whole state and
 * for single resources.
 *
 * <p>A lock name becomes part of a file name, an object key or a path in a repository, so a name
 * that could point anywhere else is refused before any storage is touched. The rules: not empty;
 * at most {@value #MAX_LENGTH} characters; no {@code ..}; no {@code /} or {@code \}; no NUL or
 * other control characters (U+0000–U+001F, U+007F–U+009F). Each violation's message names the
 * rule it breaks.
 *
 * <p>The whole-state lock and resource locks are independent names: holding {@link #STATE} does
 * not block {@code forResource("linode:42")}. Tools that mix both take the state lock first and
 * resource locks inside it, or agree on one of the two.
 *
 * <p>This class is thread-safe and stateless.
 */
public final class LockNames {
  /** The longest lock name accepted, in characters. */
  public static final int MAX_LENGTH = 200;

  /** The conventional name of the lock on the whole state. */
  public static final String STATE = "state";

  private static final String RESOURCE_PREFIX = "resource-";

  private LockNames() {}

  /**
   * Checks a lock name against the rules.
   *
   * @param name the name
   * @return the name, unchanged
   * @throws IllegalArgumentException naming the rule that is broken
   * @throws NullPointerException if the name is null
   */
  public static String validate(String name) {
    Objects.requireNonNull(name, "lock name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("Invalid lock name: it must not be empty");
    }
    if (name.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "Invalid lock name '" + printable(name.substring(0, 40)) + "…': it is " + name.length()
              + " characters long, the limit is " + MAX_LENGTH);
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == 0) {
        throw new IllegalArgumentException(
            "Invalid lock name '" + printable(name) + "': it must not contain NUL (at index " + i + ")");
      }
      if (Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            "Invalid lock name '" + printable(name) + "': it must not contain control characters"
                + " (U+" + String.format("%04X", (int) c) + " at index " + i + ")");
      }
      if (c == '/' || c == '\\') {
        throw new IllegalArgumentException(
            "Invalid lock name '" + printable(name) + "': it must not contain path separators ('"
                + c + "' at index " + i + "); use LockNames.forResource(key) for arbitrary keys");
      }
    }
    if (name.contains("..")) {
      throw new IllegalArgumentException(
          "Invalid lock name '" + printable(name) + "': it must not contain '..'");
    }
    return name;
  }

  /**
   * Whether a name follows the rules.
   *
   * @param name the name
   * @return {@code true} if {@link #validate(String)} accepts it
   */
  public static boolean isValid(String name) {
    try {
      validate(name);
      return true;
    } catch (IllegalArgumentException | NullPointerException e) {
      return false;
    }
  }

  /**
   * The conventional lock name for one resource, from its key (such as {@code linode:42} or an
   * ARN with slashes): {@code resource-} followed by the key, with {@code %}, path separators,
   * control characters and the first dot of each {@code ..} percent-encoded. Keys that would make
   * the name longer than {@value #MAX_LENGTH} characters are shortened and suffixed with a hash of
   * the full key, so distinct keys keep distinct names. Stable across runs and JVMs.
   *
   * @param resourceKey the resource key
   * @return a valid lock name
   */
  public static String forResource(String resourceKey) {
    Objects.requireNonNull(resourceKey, "resourceKey");
    if (resourceKey.isEmpty()) {
      throw new IllegalArgumentException("resource key must not be empty");
    }
    StringBuilder sb = new StringBuilder(RESOURCE_PREFIX);
    for (int i = 0; i < resourceKey.length(); i++) {
      char c = resourceKey.charAt(i);
      boolean dotDot = c == '.' && i + 1 < resourceKey.length() && resourceKey.charAt(i + 1) == '.';
      if (c == '%' || c == '/' || c == '\\' || Character.isISOControl(c) || dotDot) {
        sb.append('%').append(String.format("%02X", (int) c));
      } else {
        sb.append(c);
      }
    }
    String name = sb.toString();
    if (name.length() > MAX_LENGTH) {
      String hash = sha256Hex(resourceKey).substring(0, 16);
      String head = name.substring(0, MAX_LENGTH - 17);
      // do not cut inside a %XX escape
      int pct = head.lastIndexOf('%');
      if (pct >= 0 && pct > head.length() - 3) {
        head = head.substring(0, pct);
      }
      name = head + "~" + hash;
    }
    return validate(name);
  }

  private static String sha256Hex(String s) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isISOControl(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
