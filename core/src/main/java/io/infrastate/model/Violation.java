package io.infrastate.model;

import java.util.Objects;

/**
 * One reason a state is invalid: where (a JSON path such as {@code $.hosts.web01.port}) and what is
 * wrong.
 *
 * @param path the JSON path of the offending value
 * @param message what is wrong with it
 */
public record Violation(String path, String message) {
  /**
   * Creates a violation.
   *
   * @param path the JSON path of the offending value
   * @param message what is wrong with it
   */
  public Violation {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return path + ": " + message;
  }
}
