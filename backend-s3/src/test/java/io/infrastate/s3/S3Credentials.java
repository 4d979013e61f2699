package io.infrastate.s3;

/**
 * The S3 test server's credentials as the AWS SDK's system properties ({@code aws.accessKeyId},
 * {@code aws.secretAccessKey}) while open, for code that takes credentials from the SDK's default
 * chain (a state URI, the CLI), never from the URI. Closing restores what was there before.
 */
public final class S3Credentials implements AutoCloseable {
  private static final String KEY = "aws.accessKeyId";
  private static final String SECRET = "aws.secretAccessKey";

  private final String oldKey = System.getProperty(KEY);
  private final String oldSecret = System.getProperty(SECRET);

  private S3Credentials() {
    System.setProperty(KEY, S3TestServer.ACCESS_KEY);
    System.setProperty(SECRET, S3TestServer.SECRET_KEY);
  }

  /**
   * Sets the test server's credentials until {@link #close}.
   *
   * @return the handle that restores the earlier properties
   */
  public static S3Credentials set() {
    return new S3Credentials();
  }

  /** Restores the properties as they were before {@link #set}. */
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
