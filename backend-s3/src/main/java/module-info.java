/**
 * The S3 backend ({@code s3:} URIs): a state in an S3-compatible bucket, written with the AWS SDK
 * for Java v2, and its lock provider. The builders take an {@code S3Client} and an {@code
 * AwsCredentialsProvider}, so those SDK modules are read transitively; the SDK's jars are automatic
 * modules with fixed names. The module is named after its package, terminal digit included.
 */
@SuppressWarnings({"module", "requires-automatic", "requires-transitive-automatic"})
module io.infrastate.s3 {
  requires transitive io.infrastate.core;
  requires transitive software.amazon.awssdk.services.s3;
  requires transitive software.amazon.awssdk.auth;
  requires software.amazon.awssdk.awscore;
  requires software.amazon.awssdk.core;
  requires software.amazon.awssdk.http;
  requires software.amazon.awssdk.regions;
  requires tools.jackson.core;
  requires com.github.benmanes.caffeine;
  requires org.slf4j;

  exports io.infrastate.s3;

  provides io.infrastate.spi.BackendProvider with io.infrastate.s3.S3BackendProvider;
}
