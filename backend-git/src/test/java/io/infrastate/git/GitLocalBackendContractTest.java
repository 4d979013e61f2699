package io.infrastate.git;

import io.infrastate.spi.Backend;
import io.infrastate.testkit.BackendContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/** The backend contract in local mode: every backend commits directly into one bare repository. */
class GitLocalBackendContractTest extends BackendContract<Path> {
  @TempDir Path tmp;

  @Override
  protected Path newStorage() throws Exception {
    return Cli.bare(Files.createTempDirectory(tmp, "s"), "infra.git");
  }

  @Override
  protected Backend openBackend(Path repo) {
    return GitBackend.builder().repository(repo).build();
  }

  @Override
  protected void writeRaw(Path repo, byte[] content) {
    Cli.commitFile(repo, "main", "state.json", content, "Edit state.json by hand");
  }

  @Override
  protected Optional<byte[]> readRaw(Path repo) {
    return Optional.ofNullable(Cli.show(repo, "main", "state.json"));
  }
}
