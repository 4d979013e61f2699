package io.infrastate.testkit;

import io.infrastate.memory.InMemoryBackend;

import io.infrastate.spi.Backend;
import java.util.Optional;

class InMemoryBackendContractTest extends BackendContract<InMemoryBackend> {
  @Override
  protected InMemoryBackend newStorage() {
    return InMemoryBackend.create();
  }

  @Override
  protected Backend openBackend(InMemoryBackend storage) {
    return storage;
  }

  @Override
  protected void writeRaw(InMemoryBackend storage, byte[] content) {
    storage.writeRaw(content);
  }

  @Override
  protected Optional<byte[]> readRaw(InMemoryBackend storage) {
    return storage.readRaw();
  }
}
