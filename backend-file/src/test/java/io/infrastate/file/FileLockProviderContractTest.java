package io.infrastate.file;

import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.testkit.LockProviderContract;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The file lock provider meets the lock contract; each provider stands for another process. */
class FileLockProviderContractTest extends LockProviderContract<Path> {
  @TempDir Path tmp;

  @Override
  protected Path newStorage() throws Exception {
    return Files.createTempDirectory(tmp, "locks");
  }

  @Override
  protected LockProvider openProvider(Path storage, LockOptions options) {
    return FileLockProvider.in(storage, options);
  }
}
