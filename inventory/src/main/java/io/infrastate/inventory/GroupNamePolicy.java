package io.infrastate.inventory;

/**
 * What an {@link Inventory} does with a group name that Ansible warns about.
 *
 * <p>Ansible accepts a group name only if it has no match for {@code ^[\d\W]|[^\w]} (Python's
 * Unicode-aware {@code \w}: letters, digits and {@code _}; no leading decimal digit). For anything
 * else, such as {@code web-servers}, {@code db.prod}, {@code my group} or {@code 1st}, it prints
 * "Invalid characters were found in group names" on every run. See {@link #isValid(String)}.
 */
public enum GroupNamePolicy {
  /**
   * Refuse the name: model methods throw {@link IllegalArgumentException}, readers throw {@link
   * InventoryException} of kind {@link InventoryException.Kind#INVALID_GROUP_NAME}. The default.
   */
  REJECT,
  /**
   * Replace every offending character with {@code _}, exactly as Ansible does with {@code
   * TRANSFORM_INVALID_GROUP_CHARS=always}: {@code web-servers} becomes {@code web_servers}, {@code 1st}
   * becomes {@code _st}. Names that transform to the same name are the same group.
   */
  TRANSFORM;

  /**
   * Whether Ansible accepts a group name without a warning.
   *
   * @param name the group name
   * @return {@code true} if non-empty, no character other than letters, digits and {@code _}, and no
   *     leading decimal digit
   */
  public static boolean isValid(String name) {
    if (name.isEmpty()) {
      return false;
    }
    int first = name.codePointAt(0);
    if (!isWordChar(first) || Character.getType(first) == Character.DECIMAL_DIGIT_NUMBER) {
      return false;
    }
    for (int i = Character.charCount(first); i < name.length(); ) {
      int cp = name.codePointAt(i);
      if (!isWordChar(cp)) {
        return false;
      }
      i += Character.charCount(cp);
    }
    return true;
  }

  /**
   * Ansible's transformation: every character matching {@code ^[\d\W]|[^\w]} becomes {@code _}.
   *
   * @param name the group name
   * @return the transformed name; {@code name} itself if it is valid
   */
  public static String transform(String name) {
    if (isValid(name)) {
      return name;
    }
    StringBuilder sb = new StringBuilder(name.length());
    boolean first = true;
    for (int i = 0; i < name.length(); ) {
      int cp = name.codePointAt(i);
      boolean bad =
          !isWordChar(cp) || (first && Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER);
      if (bad) {
        sb.append('_');
      } else {
        sb.appendCodePoint(cp);
      }
      first = false;
      i += Character.charCount(cp);
    }
    return sb.toString();
  }

  /**
   * Applies this policy to a name.
   *
   * @param name the group name as given
   * @return the name to use
   * @throws IllegalArgumentException under {@link #REJECT} if the name is not {@link
   *     #isValid(String) valid}
   */
  public String apply(String name) {
    if (name.isEmpty()) {
      throw new Refusal(InventoryException.Kind.INVALID_GROUP_NAME, "group name must not be empty");
    }
    if (isValid(name)) {
      return name;
    }
    if (this == TRANSFORM) {
      return transform(name);
    }
    throw new Refusal(
        InventoryException.Kind.INVALID_GROUP_NAME,
        "group name '"
            + name
            + "' has characters Ansible warns about (only letters, digits and _ are allowed, and"
            + " no leading digit); rename it to '"
            + transform(name)
            + "' or use GroupNamePolicy.TRANSFORM");
  }

  /** Python's {@code \w} on str: letters, numbers (Nd, Nl, No) and underscore. */
  private static boolean isWordChar(int cp) {
    if (cp == '_' || Character.isLetter(cp)) {
      return true;
    }
    int t = Character.getType(cp);
    return t == Character.DECIMAL_DIGIT_NUMBER
        || t == Character.LETTER_NUMBER
        || t == Character.OTHER_NUMBER;
  }
}
