package io.infrastate.file;

import io.infrastate.spi.Backend;
import io.infrastate.testkit.BackendContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

class FileBackendContractTest extends BackendContract<Path> {
  @TempDir Path tmp;
  private int counter;

  @Override
  protected Path newStorage() {
    return directory(tmp.resolve("s" + (counter++))).resolve("state.json");
  }

  /** Creates a state's directory, as a user does before naming a state in it. */
  static Path directory(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  protected Backend openBackend(Path storage) {
    return FileBackend.at(storage);
  }

  @Override
  protected void writeRaw(Path storage, byte[] content) throws Exception {
    Files.createDirectories(storage.getParent());
    Files.write(storage, content);
  }

  @Override
  protected Optional<byte[]> readRaw(Path storage) throws Exception {
    return Files.exists(storage) ? Optional.of(Files.readAllBytes(storage)) : Optional.empty();
  }
}
