package io.infrastate.spi;

import io.infrastate.model.VersionInfo;
import java.util.List;
import java.util.Optional;

/**
 * A backend that keeps earlier versions: the file backend's bounded history, Git's commits, the S3
 * log. History is never rewritten: a rollback is a new version.
 */
public interface HistoryBackend extends Backend {
  /**
   * The stored versions, newest first.
   *
   * @param limit the most entries to return
   * @return up to {@code limit} entries
   * @throws io.infrastate.model.BackendException on storage failure
   */
  List<VersionInfo> history(int limit);

  /**
   * Loads one earlier version.
   *
   * @param serial the version's serial
   * @return the version, or empty if it is not (or no longer) kept
   * @throws io.infrastate.model.CorruptStateException if the kept copy is damaged
   */
  Optional<StoredState> at(long serial);
}
