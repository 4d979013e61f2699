package io.infrastate.model;

/**
 * The stored state now belongs to a different lineage than the one this handle loaded: someone
 * replaced it with another state (a different environment, a restored file of another project).
 * infrastate never writes over it; open the state again if the replacement is intended.
 */
public class LineageMismatchException extends StateException {
  private static final long serialVersionUID = 1L;

  /** The lineage this handle loaded. */
  private final String expected;
  /** The lineage found in storage. */
  private final String found;

  /**
   * Creates a lineage mismatch error.
   *
   * @param location the storage location
   * @param expected the lineage this handle loaded
   * @param found the lineage now stored
   */
  public LineageMismatchException(String location, String expected, String found) {
    super(
        "State at "
            + location
            + " now has lineage "
            + found
            + " but this handle loaded lineage "
            + expected
            + "; it was replaced by a different state, so nothing was written. Open it again if"
            + " the replacement is intended, or restore the original from its backup or history.");
    this.expected = expected;
    this.found = found;
  }

  /**
   * The lineage this handle loaded.
   *
   * @return a lineage UUID
   */
  public String expected() {
    return expected;
  }

  /**
   * The lineage found in storage.
   *
   * @return a lineage UUID
   */
  public String found() {
    return found;
  }
}
