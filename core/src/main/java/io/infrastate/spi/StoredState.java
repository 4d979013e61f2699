package io.infrastate.spi;

import io.infrastate.model.Snapshot;
import java.util.Objects;

/**
 * A snapshot as loaded from or written to a backend, with the token that identifies it there.
 *
 * @param snapshot the content
 * @param token the stored version, for the next compare-and-swap
 */
public record StoredState(Snapshot snapshot, VersionToken token) {
  /**
   * Creates a stored state.
   *
   * @param snapshot the content
   * @param token the stored version, for the next compare-and-swap
   * @throws NullPointerException if an argument is null
   */
  public StoredState {
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(token, "token");
  }
}
