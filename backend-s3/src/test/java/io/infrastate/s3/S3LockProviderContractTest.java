package io.infrastate.s3;

import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.testkit.LockProviderContract;
import java.util.UUID;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The lock provider contract against a real S3-compatible server. */
class S3LockProviderContractTest extends LockProviderContract<String> {
  @RegisterExtension static final S3Bucket s3 = new S3Bucket();

  @Override
  protected String newStorage() {
    return "locks-" + UUID.randomUUID() + "/";
  }

  @Override
  protected LockProvider openProvider(String prefix, LockOptions options) {
    return S3LockProvider.create(s3.client(), s3.bucket(), prefix, options);
  }
}
