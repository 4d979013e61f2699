package io.infrastate;

import io.infrastate.memory.InMemoryBackend;
import io.infrastate.spi.Backend;
import io.infrastate.spi.StoredState;
import java.util.Optional;

/**
 * A test backend over an in-memory one: its location and loads pass through, and a subclass
 * decides what happens around {@code storage.save} (an injected failure, an intruding writer).
 */
abstract class OverInMemoryBackend implements Backend {
  /** Where the versions are kept. */
  final InMemoryBackend storage = InMemoryBackend.create();

  @Override
  public String location() {
    return storage.location();
  }

  @Override
  public Optional<StoredState> load() {
    return storage.load();
  }
}
