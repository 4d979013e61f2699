package io.infrastate.s3;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A test class's S3 server with one bucket and a client, started before its first test and
 * stopped after its last: register it as a static field with {@code @RegisterExtension}.
 */
final class S3Bucket implements BeforeAllCallback, AfterAllCallback {
  private S3TestServer server;
  private S3Client client;
  private String bucket;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    server = S3TestServer.start();
    client = server.client();
    bucket = server.newBucket();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      client.close();
    } finally {
      server.close();
    }
  }

  /** The server. */
  S3TestServer server() {
    return server;
  }

  /** A client of the server. */
  S3Client client() {
    return client;
  }

  /** The bucket made for the test class. */
  String bucket() {
    return bucket;
  }
}
