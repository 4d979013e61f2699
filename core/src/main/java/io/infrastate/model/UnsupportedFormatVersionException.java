package io.infrastate.model;

/**
 * The stored state was written in a newer format version than this library understands. It is
 * left untouched; upgrade infrastate to read and write it.
 */
public class UnsupportedFormatVersionException extends StateException {
  private static final long serialVersionUID = 1L;

  /** The format version found in storage. */
  private final String version;

  /**
   * Creates the error.
   *
   * @param location the storage location
   * @param version the format version found
   * @param supported the newest format version this library supports
   */
  public UnsupportedFormatVersionException(String location, String version, String supported) {
    super(
        "State at "
            + location
            + " has format version "
            + version
            + ", newer than "
            + supported
            + " which this version of infrastate supports; it was left untouched. Upgrade"
            + " infrastate to use it.");
    this.version = version;
  }

  /**
   * The format version found in storage.
   *
   * @return the version string, such as {@code "2.0"}
   */
  public String version() {
    return version;
  }
}
