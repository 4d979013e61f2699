package io.infrastate.git;

import io.infrastate.spi.Backend;
import io.infrastate.testkit.BackendContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend contract in clone mode: every backend is a separate machine with its own clone of
 * one bare remote, fetching and pushing.
 */
class GitCloneBackendContractTest extends BackendContract<Path> {
  @TempDir Path tmp;

  @Override
  protected Path newStorage() throws Exception {
    return Cli.bare(Files.createTempDirectory(tmp, "s"), "infra.git");
  }

  @Override
  protected Backend openBackend(Path remote) throws Exception {
    Path clone = Files.createTempDirectory(remote.getParent(), "clone");
    return GitBackend.builder().remote(remote.toString()).cloneDirectory(clone).build();
  }

  @Override
  protected void writeRaw(Path remote, byte[] content) {
    Cli.commitFile(remote, "main", "state.json", content, "Edit state.json by hand");
  }

  @Override
  protected Optional<byte[]> readRaw(Path remote) {
    return Optional.ofNullable(Cli.show(remote, "main", "state.json"));
  }
}
