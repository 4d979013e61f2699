package io.infrastate.spi;

/**
 * Identifies one stored version for compare-and-swap: what a backend compares against before it
 * writes. Every token carries the version's serial and lineage; a backend's own implementation adds
 * what it needs to recognise the version cheaply (a file's identity, a commit id, an object key).
 *
 * <p>Implementations are immutable and thread-safe.
 */
public interface VersionToken {
  /**
   * The serial of the stored version.
   *
   * @return the serial, or -1 for {@link #absent()}
   */
  long serial();

  /**
   * The lineage of the stored version.
   *
   * @return the lineage, empty if the stored state has none (written by Go-FTL2)
   */
  String lineage();

  /**
   * Whether a version exists; {@code false} only for {@link #absent()}.
   *
   * @return {@code true} if this token names a stored version
   */
  default boolean exists() {
    return true;
  }

  /**
   * The token for "nothing stored yet": a save with it as expected version creates the state and
   * must fail with a conflict if a state exists.
   *
   * @return the singleton absent token
   */
  static VersionToken absent() {
    return Absent.INSTANCE;
  }

  /**
   * A token with only a serial and lineage, for backends that need nothing more.
   *
   * @param serial the serial
   * @param lineage the lineage
   * @return a new token
   */
  static VersionToken of(long serial, String lineage) {
    return new Simple(serial, lineage);
  }

  /**
   * Whether two tokens name the same logical version: equal serial and lineage, or both absent.
   *
   * @param a a token
   * @param b another token
   * @return {@code true} if they name the same version
   */
  static boolean sameVersion(VersionToken a, VersionToken b) {
    if (!a.exists() || !b.exists()) {
      return a.exists() == b.exists();
    }
    return a.serial() == b.serial() && a.lineage().equals(b.lineage());
  }

  /** The absent token. */
  enum Absent implements VersionToken {
    /** The only instance. */
    INSTANCE;

    @Override
    public long serial() {
      return -1;
    }

    @Override
    public String lineage() {
      return "";
    }

    @Override
    public boolean exists() {
      return false;
    }
  }

  /**
   * A token of serial and lineage only.
   *
   * @param serial the serial
   * @param lineage the lineage
   */
  record Simple(long serial, String lineage) implements VersionToken {}
}
