package io.infrastate.spi;

import java.util.Optional;

/**
 * Where a state is stored: a file, a Git repository, an S3 bucket. The {@link io.infrastate.State}
 * handle does the rest (snapshots, transactions, retries, validation); a backend only loads and
 * compare-and-swaps.
 *
 * <p>Contract, checked by {@code io.infrastate.testkit.BackendContract}:
 *
 * <ul>
 *   <li>{@link #load()} returns the latest stored version, or empty when nothing is stored. Damaged
 *       data (unparsable, empty, invalid) raises {@link io.infrastate.model.CorruptStateException} and
 *       is never modified.
 *   <li>{@link #save(SaveRequest)} writes only if storage still holds {@link
 *       SaveRequest#expected()}; otherwise it writes nothing and returns {@link
 *       SaveResult.Conflict}. A save is atomic (all or nothing) and durable when it returns {@link
 *       SaveResult.Saved}. It never overwrites damaged data.
 *   <li>Failures raise {@link io.infrastate.model.BackendException} naming the backend and location,
 *       never credentials.
 * </ul>
 *
 * <p>Optional capabilities are separate interfaces (such as {@link HistoryBackend}), never {@code
 * UnsupportedOperationException}s.
 *
 * <p>Implementations must be thread-safe: one backend may serve several {@code State} handles.
 */
public interface Backend extends AutoCloseable {
  /**
   * A human-readable location for messages and logs, such as a file path or an {@code s3://} URI.
   * Never contains credentials.
   *
   * @return the location
   */
  String location();

  /**
   * Loads the latest stored version.
   *
   * @return the stored state, or empty if nothing is stored yet
   * @throws io.infrastate.model.CorruptStateException if the stored data is damaged
   * @throws io.infrastate.model.UnsupportedFormatVersionException if it was written by a newer format
   * @throws io.infrastate.model.BackendException on storage failure
   */
  Optional<StoredState> load();

  /**
   * Loads the latest stored version only if it differs from {@code known}. Backends that can tell
   * cheaply (a file's identity, a ref, an ETag) override this so that an unchanged state is not
   * read or parsed again.
   *
   * @param known the version the caller holds
   * @return the newer stored state, or empty if storage still holds {@code known}
   * @throws io.infrastate.model.CorruptStateException if the stored data is damaged
   */
  default Optional<StoredState> loadIfChanged(VersionToken known) {
    Optional<StoredState> latest = load();
    if (latest.isEmpty()) {
      if (known.exists()) {
        throw new io.infrastate.model.CorruptStateException(
            location(),
            null,
            "State at " + location() + " has disappeared although version " + known.serial()
                + " was loaded from it; nothing was written. Restore it from its backup or history.",
            null);
      }
      return Optional.empty();
    }
    return VersionToken.sameVersion(latest.get().token(), known) ? Optional.empty() : latest;
  }

  /**
   * Compare-and-swap: writes the new version only if storage still holds the expected one.
   *
   * @param request the new version, its changes, the expected version and the audit entry
   * @return {@link SaveResult.Saved} with the new token, or {@link SaveResult.Conflict}
   * @throws io.infrastate.model.CorruptStateException if the stored data is damaged (nothing is written)
   * @throws io.infrastate.model.BackendException on storage failure; then the write may or may not have
   *     been stored, as the backend documents, and the next compare-and-swap finds out
   */
  SaveResult save(SaveRequest request);

  /**
   * Releases resources (file handles, repositories, clients that the backend created). Closing
   * twice is harmless.
   */
  @Override
  default void close() {}
}
