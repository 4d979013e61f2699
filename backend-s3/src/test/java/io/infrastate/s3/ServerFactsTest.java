package io.infrastate.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** What the test server does with the conditional requests the backend relies on. */
class ServerFactsTest {
  static S3TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = S3TestServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void createOnlyPutAndConditionalDelete() {
    String bucket = server.newBucket();
    try (S3Client c = server.client()) {
      PutObjectRequest put = PutObjectRequest.builder().bucket(bucket).key("k").ifNoneMatch("*").build();
      String etag = c.putObject(put, RequestBody.fromString("one")).eTag();
      assertThatThrownBy(() -> c.putObject(put, RequestBody.fromString("two")))
          .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(412));
      assertThatThrownBy(() -> c.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key("k").ifMatch("\"0000\"").build()))
          .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(412));
      c.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key("k").ifMatch(etag).build());
      assertThatThrownBy(() -> c.headObject(HeadObjectRequest.builder().bucket(bucket).key("k").build()))
          .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(404));
    }
  }
}
