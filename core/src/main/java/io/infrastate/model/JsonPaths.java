package io.infrastate.model;

import java.util.regex.Pattern;

/** Renders JSON paths such as {@code $.hosts.web01.port} or {@code $.hosts['web 01']}. */
public final class JsonPaths {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_-]+");

  private JsonPaths() {}

  /**
   * Appends an object member to a path.
   *
   * @param path the parent path
   * @param key the member name
   * @return the child path
   */
  public static String member(String path, String key) {
    if (PLAIN.matcher(key).matches()) {
      return path + "." + key;
    }
    return path + "['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']";
  }
}
