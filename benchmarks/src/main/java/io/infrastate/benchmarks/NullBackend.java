package io.infrastate.benchmarks;

import io.infrastate.model.Snapshot;
import io.infrastate.spi.Backend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.util.Optional;

/**
 * A backend that stores nothing and accepts every save: what remains of a write is the {@code
 * State}'s own work (copy-on-write of its maps, validation, metadata, audit). For measuring that
 * cost alone; it keeps no data and must not be used for anything else.
 *
 * <p>Instances are thread-safe.
 */
public final class NullBackend implements Backend {
  private final StoredState initial;

  /**
   * A backend whose load returns {@code initial}.
   *
   * @param initial the state to start from
   */
  public NullBackend(Snapshot initial) {
    this.initial = new StoredState(initial, VersionToken.of(initial.metadata().serial(), initial.metadata().lineage()));
  }

  @Override
  public String location() {
    return "null:";
  }

  @Override
  public Optional<StoredState> load() {
    return Optional.of(initial);
  }

  @Override
  public SaveResult save(SaveRequest request) {
    return new SaveResult.Saved(VersionToken.of(request.snapshot().metadata().serial(), request.snapshot().metadata().lineage()));
  }
}
