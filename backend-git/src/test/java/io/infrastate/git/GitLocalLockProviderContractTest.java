package io.infrastate.git;

import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.testkit.LockProviderContract;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The lock contract with lock refs in one local bare repository shared by every provider. */
class GitLocalLockProviderContractTest extends LockProviderContract<Path> {
  @TempDir Path tmp;

  @Override
  protected Path newStorage() throws Exception {
    return Cli.bare(Files.createTempDirectory(tmp, "s"), "infra.git");
  }

  @Override
  protected LockProvider openProvider(Path repo, LockOptions options) {
    return GitLockProvider.builder().repository(repo).options(options).build();
  }
}
