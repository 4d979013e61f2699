package io.infrastate.examples.cli;

import io.infrastate.s3.S3TestServer;

/**
 * The S3 test server's credentials as the AWS SDK's system properties ({@code aws.accessKeyId},
 * {@code aws.secretAccessKey}) while open: the CLI takes credentials from the SDK's default chain,
 * never from the URI. Closing restores what was there before.
 */
final class S3Credentials implements AutoCloseable {
  private static final String KEY = "aws.accessKeyId";
  private static final String SECRET = "aws.secretAccessKey";

  private final String oldKey = System.getProperty(KEY);
  private final String oldSecret = System.getProperty(SECRET);

  private S3Credentials() {
    System.setProperty(KEY, S3TestServer.ACCESS_KEY);
    System.setProperty(SECRET, S3TestServer.SECRET_KEY);
  }

  /** Sets the test server's credentials until {@link #close}. */
  static S3Credentials set() {
    return new S3Credentials();
  }

  @Override
  public void close() {
    restore(KEY, oldKey);
    restore(SECRET, oldSecret);
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }
}
