package io.infrastate.model;

import java.util.Optional;

/**
 * The stored state is damaged: it cannot be parsed, it is empty, it breaks a structural rule, or it
 * has vanished while its backup remains. infrastate stops on damage: the damaged data is never
 * overwritten, and every write fails with this error until a person repairs or restores it.
 *
 * <p>The message names the location (file, object or commit), the JSON path where known, what is
 * wrong, and where the last good version is (the backup or history), so that an operator can
 * restore it.
 */
public class CorruptStateException extends StateException {
  private static final long serialVersionUID = 1L;

  /** The damaged file, object or commit. */
  private final String location;
  /** The JSON path of the damage, when it is known. */
  private final String jsonPath;

  /**
   * Creates a damage error.
   *
   * @param location the file, object or commit that is damaged
   * @param jsonPath the JSON path of the damage (such as {@code $.hosts.web01.port}), or {@code
   *     null} when it concerns the whole document
   * @param message the full message, naming location, path, what is wrong and what to do
   * @param cause the underlying parse failure, or {@code null}
   */
  public CorruptStateException(String location, String jsonPath, String message, Throwable cause) {
    super(message, cause);
    this.location = location;
    this.jsonPath = jsonPath;
  }

  /**
   * The damaged file, object or commit.
   *
   * @return a human-readable location, never containing credentials
   */
  public String location() {
    return location;
  }

  /**
   * The JSON path of the damage, when it is known.
   *
   * @return a path such as {@code $.hosts.web01.port}, or empty for the whole document
   */
  public Optional<String> jsonPath() {
    return Optional.ofNullable(jsonPath);
  }
}
