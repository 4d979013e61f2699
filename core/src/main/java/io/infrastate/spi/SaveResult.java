package io.infrastate.spi;

import java.util.Optional;

/**
 * The outcome of a compare-and-swap save. Contention is a result, not an exception (as JGit's
 * {@code RefUpdate.Result.LOCK_FAILURE}): the caller reloads and tries again.
 */
public sealed interface SaveResult {
  /**
   * The save succeeded.
   *
   * @param token the token of the version just written
   */
  record Saved(VersionToken token) implements SaveResult {}

  /**
   * Storage did not hold the expected version; nothing was written.
   *
   * @param current the version found, if the backend read it while checking (saves a reload)
   */
  record Conflict(Optional<StoredState> current) implements SaveResult {}
}
