package io.infrastate.git;

import io.infrastate.spi.Backend;
import io.infrastate.testkit.BackendContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend contract in clone mode with the tree layout: every backend is a separate machine with
 * its own clone of one bare remote, writing a new state as one file per entry.
 */
class GitTreeCloneBackendContractTest extends BackendContract<Path> {
  @TempDir Path tmp;

  @Override
  protected Path newStorage() throws Exception {
    return Cli.bare(Files.createTempDirectory(tmp, "s"), "infra.git");
  }

  @Override
  protected Backend openBackend(Path remote) throws Exception {
    Path clone = Files.createTempDirectory(remote.getParent(), "clone");
    return GitBackend.builder().remote(remote.toString()).cloneDirectory(clone).layout(GitLayout.TREE).build();
  }

  @Override
  protected void writeRaw(Path remote, byte[] content) {
    Cli.commitFile(remote, "main", "state.json", content, "Edit state.json by hand");
  }

  @Override
  protected Optional<byte[]> readRaw(Path remote) {
    return GitTreeLocalBackendContractTest.readTree(remote, () -> GitBackend.builder().repository(remote).build());
  }
}
