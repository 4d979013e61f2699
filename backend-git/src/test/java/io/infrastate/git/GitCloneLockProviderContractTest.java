package io.infrastate.git;

import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.testkit.LockProviderContract;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock contract with lock refs pushed to a bare remote; every provider is a separate machine
 * with its own clone.
 */
class GitCloneLockProviderContractTest extends LockProviderContract<Path> {
  @TempDir Path tmp;

  @Override
  protected Path newStorage() throws Exception {
    return Cli.bare(Files.createTempDirectory(tmp, "s"), "infra.git");
  }

  @Override
  protected LockProvider openProvider(Path remote, LockOptions options) throws Exception {
    Path clone = Files.createTempDirectory(remote.getParent(), "clone");
    return GitLockProvider.builder().remote(remote.toString()).cloneDirectory(clone).options(options).build();
  }

  @Override
  protected int contentionThreads() {
    return 4;
  }

  @Override
  protected int contentionRounds() {
    return 10;
  }
}
