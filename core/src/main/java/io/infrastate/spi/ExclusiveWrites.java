package io.infrastate.spi;

import java.util.Optional;

/**
 * An optional capability of a {@link Backend} that can serialize its writers cheaply: the file
 * backends (their OS write lock) and a local Git repository (its branch's ref lock). After a
 * write's first conflict, {@link io.infrastate.State} holds the backend's write lock across the
 * reload, the re-application of the change and the save, so that the retry cannot conflict again
 * with any writer that follows the backend's protocol: contention then slows a writer down
 * instead of making it fail.
 *
 * <p>Implementations must be thread-safe.
 */
public interface ExclusiveWrites extends Backend {
  /**
   * Takes this backend's write lock for the calling thread and holds it until the returned section
   * is closed. Meanwhile every other writer of the same stored state (other handles, threads and
   * processes) waits, while loads and saves by the calling thread proceed: the lock is re-entrant
   * for its holder, so the {@link #save(SaveRequest)} made inside the section takes it again
   * without waiting. The section must be closed by the thread that opened it.
   *
   * @return the held section, or empty if this backend cannot exclude other writers in its present
   *     configuration (then the caller retries without it)
   * @throws io.infrastate.model.BackendException if the lock cannot be taken (storage failure)
   */
  Optional<Section> exclusive();

  /** A held write lock: closing it lets the other writers go on. */
  interface Section extends AutoCloseable {
    /**
     * Releases the write lock (once; closing twice is harmless).
     *
     * @throws io.infrastate.model.BackendException if the lock could not be released cleanly
     */
    @Override
    void close();
  }
}
