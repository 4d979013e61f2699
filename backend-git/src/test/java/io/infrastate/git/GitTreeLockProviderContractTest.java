package io.infrastate.git;

import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.testkit.LockProviderContract;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock contract for the locks of a tree-layout state, as its URI names them: lock refs in the
 * bare remote, taken through each provider's own clone.
 */
class GitTreeLockProviderContractTest extends LockProviderContract<Path> {
  @TempDir Path tmp;

  @Override
  protected Path newStorage() throws Exception {
    return Cli.bare(Files.createTempDirectory(tmp, "s"), "infra.git");
  }

  @Override
  protected LockProvider openProvider(Path remote, LockOptions options) throws Exception {
    Path clone = Files.createTempDirectory(remote.getParent(), "clone");
    URI uri = URI.create("git+file://" + remote + "?layout=tree&clone=" + clone + "#main:state.json");
    return GitUris.read(uri, tmp).locks().options(options).build();
  }

  /** As many contending threads as the clone-mode lock contract runs (every acquisition is a push). */
  @Override
  protected int contentionThreads() {
    return 4;
  }

  @Override
  protected int contentionRounds() {
    return 10;
  }
}
