package io.infrastate.model;

import java.util.List;

/**
 * A write was vetoed: the new state breaks a structural rule (a host whose key differs from its
 * name, a port outside 0..65535, an empty name) or a registered {@link io.infrastate.Validator} refused it.
 * Nothing was persisted and the in-memory state is unchanged. The message lists every violation.
 */
public class InvalidStateException extends StateException {
  private static final long serialVersionUID = 1L;

  private final transient List<Violation> violations;

  /**
   * Creates a validation error.
   *
   * @param location the state's storage location
   * @param violations what is wrong, at least one
   */
  public InvalidStateException(String location, List<Violation> violations) {
    super(message(location, violations));
    this.violations = List.copyOf(violations);
  }

  private static String message(String location, List<Violation> violations) {
    StringBuilder sb =
        new StringBuilder("Write to ")
            .append(location)
            .append(" refused: ")
            .append(violations.size())
            .append(violations.size() == 1 ? " violation" : " violations")
            .append("; nothing was written. Fix the change and retry:");
    for (Violation v : violations) {
      sb.append("\n  - ").append(v);
    }
    return sb.toString();
  }

  /**
   * Every violation, in the order found.
   *
   * @return an unmodifiable, non-empty list
   */
  public List<Violation> violations() {
    return violations;
  }
}
