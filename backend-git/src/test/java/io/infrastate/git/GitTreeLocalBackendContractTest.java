package io.infrastate.git;

import io.infrastate.codec.StateCodec;
import io.infrastate.spi.Backend;
import io.infrastate.testkit.BackendContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend contract in local mode with the tree layout: every backend writes a new state as one
 * file per entry into one bare repository. What the contract writes raw is a single file, which a
 * tree-layout backend reads (and keeps) as such; what it reads raw is the state the tree holds,
 * encoded as the single file.
 */
class GitTreeLocalBackendContractTest extends BackendContract<Path> {
  @TempDir Path tmp;

  @Override
  protected Path newStorage() throws Exception {
    return Cli.bare(Files.createTempDirectory(tmp, "s"), "infra.git");
  }

  @Override
  protected Backend openBackend(Path repo) {
    return GitBackend.builder().repository(repo).layout(GitLayout.TREE).build();
  }

  @Override
  protected void writeRaw(Path repo, byte[] content) {
    Cli.commitFile(repo, "main", "state.json", content, "Edit state.json by hand");
  }

  @Override
  protected Optional<byte[]> readRaw(Path repo) {
    return readTree(repo, () -> GitBackend.builder().repository(repo).build());
  }

  /** The single file, or the tree layout's state read by a fresh backend and encoded as one. */
  static Optional<byte[]> readTree(Path repo, java.util.function.Supplier<GitBackend> open) {
    byte[] file = Cli.show(repo, "main", "state.json");
    if (file == null || !Arrays.equals(file, TreeLayout.MARKER)) {
      return Optional.ofNullable(file);
    }
    try (GitBackend b = open.get()) {
      return Optional.of(StateCodec.encode(b.load().orElseThrow().snapshot()));
    }
  }
}
