package io.infrastate.s3;

import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.testkit.LockProviderContract;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.s3.S3Client;

/** The lock provider contract against a real S3-compatible server. */
class S3LockProviderContractTest extends LockProviderContract<String> {
  static S3TestServer server;
  static S3Client client;
  static String bucket;

  @BeforeAll
  static void start() throws Exception {
    server = S3TestServer.start();
    client = server.client();
    bucket = server.newBucket();
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    server.close();
  }

  @Override
  protected String newStorage() {
    return "locks-" + UUID.randomUUID() + "/";
  }

  @Override
  protected LockProvider openProvider(String prefix, LockOptions options) {
    return S3LockProvider.create(client, bucket, prefix, options);
  }
}
