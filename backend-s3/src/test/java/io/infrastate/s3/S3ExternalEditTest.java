package io.infrastate.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditException;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.StateOptions;
import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * The readable copy is an edit channel: an object another tool writes to the state's key through
 * the S3 API (as {@code aws s3 cp state.json s3://…} does) is reported, recorded as a version of its
 * own or refused, and never replaced silently by the next readable copy. Against the in-process S3
 * server.
 */
class S3ExternalEditTest {
  @RegisterExtension static final S3Bucket s3 = new S3Bucket();
  String key;

  @BeforeEach
  void freshKey() {
    key = "envs/" + UUID.randomUUID() + "/state.json";
  }

  S3Backend backend(UnaryOperator<S3Backend.Builder> config) {
    return config.apply(S3Backend.builder().client(s3.client()).bucket(s3.bucket()).key(key)).build();
  }

  static StateOptions options() {
    return StateOptions.builder().operator("tester@ci").retryBackoff(Duration.ofMillis(1)).build();
  }

  static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.1").port(22).user("deploy").build();
  }

  /** Two versions, their copy written; then the copy downloaded, edited and uploaded as a person would. */
  private void twoVersionsThenAnUpload() throws Exception {
    try (S3Backend b = backend(x -> x); State s = State.load(b, options())) {
      s.addHost(host("web01"));
      s.addHost(host("web02"));
      b.flushDerived();
    }
    String copy = s3.client().getObjectAsBytes(GetObjectRequest.builder().bucket(s3.bucket()).key(key).build()).asUtf8String();
    assertThat(copy).contains("\"serial\": 2");
    String edited = copy.replace("\"address\": \"10.0.0.1\",\n      \"created_at\"", "\"address\": \"10.0.0.1\",\n      \"created_at\"")
        .replaceFirst("\"address\": \"10.0.0.1\"", "\"address\": \"10.9.9.9\"");
    s3.client().putObject(PutObjectRequest.builder().bucket(s3.bucket()).key(key).build(), RequestBody.fromString(edited, StandardCharsets.UTF_8));
  }

  private int logRecords() {
    return s3.client().listObjectsV2(ListObjectsV2Request.builder().bucket(s3.bucket()).prefix(key + ".infrastate/log/").build()).contents().size();
  }

  @Test
  void anUploadIsRecordedAsItsOwnVersionBeforeTheNextChange() throws Exception {
    twoVersionsThenAnUpload();
    try (S3Backend b = backend(x -> x); State s = State.load(b, options())) {
      ExternalEdit edit = b.externalEdit().orElseThrow();
      assertThat(edit.replacedSerial()).isEqualTo(2);
      assertThat(edit.description()).contains("~ host web01: address");
      b.flushDerived(); // the load's copy check has seen the upload: it is kept, not replaced
      assertThat(StateCodec.decode(s3.client().getObjectAsBytes(GetObjectRequest.builder().bucket(s3.bucket()).key(key).build()).asByteArray(),
          key, "").getHost("web01").orElseThrow().address()).isEqualTo("10.9.9.9");

      s.addHost(host("web03"));
      assertThat(s.metadata().serial()).isEqualTo(4);
      List<VersionInfo> history = s.history(10);
      assertThat(history).extracting(VersionInfo::serial).containsExactly(4L, 3L, 2L, 1L);
      assertThat(history.get(1).operator()).isEqualTo(ExternalEdit.OPERATOR);
      assertThat(history.get(1).reason()).contains("~ host web01: address");
      assertThat(s.at(3).orElseThrow().getHost("web01").orElseThrow().address()).isEqualTo("10.9.9.9");
      assertThat(s.at(3).orElseThrow().hasHost("web03")).isFalse();
      assertThat(s.at(2).orElseThrow().getHost("web01").orElseThrow().address()).isEqualTo("10.0.0.1");
      assertThat(s.getHost("web01").orElseThrow().address()).isEqualTo("10.9.9.9");
      b.flushDerived();
      assertThat(b.externalEdit()).isEmpty();
    }
    assertThat(s3.client().getObject(GetObjectRequest.builder().bucket(s3.bucket()).key(key).build()).response().metadata())
        .containsEntry("infrastate-serial", "4");
  }

  @Test
  void anUploadBehindAnOpenHandlesBackIsNeverOverwrittenSilently() throws Exception {
    try (S3Backend b = backend(x -> x); State s = State.load(b, options())) {
      s.addHost(host("web01"));
      s.addHost(host("web02"));
      b.flushDerived();
      String copy = s3.client().getObjectAsBytes(GetObjectRequest.builder().bucket(s3.bucket()).key(key).build()).asUtf8String();
      s3.client().putObject(PutObjectRequest.builder().bucket(s3.bucket()).key(key).build(),
          RequestBody.fromString(copy.replaceFirst("\"user\": \"deploy\"", "\"user\": \"ops\""), StandardCharsets.UTF_8));
      s.addHost(host("web03")); // committed on version 2: this write has not seen the upload yet
      b.flushDerived(); // its copy is not written over the upload
      assertThat(s3.client().getObject(GetObjectRequest.builder().bucket(s3.bucket()).key(key).build()).response().metadata())
          .doesNotContainKey("infrastate-serial");
      assertThat(b.externalEdit().orElseThrow().description()).contains("~ host web01: user").contains("- host web03");
      s.addHost(host("web04")); // records the upload first
      assertThat(s.history(10)).extracting(VersionInfo::serial, VersionInfo::operator).startsWith(
          org.assertj.core.groups.Tuple.tuple(5L, "tester@ci"), org.assertj.core.groups.Tuple.tuple(4L, ExternalEdit.OPERATOR));
      assertThat(s.at(4).orElseThrow().getHost("web01").orElseThrow().user()).isEqualTo("ops");
      assertThat(s.at(3).orElseThrow().hasHost("web03")).isTrue();
    }
  }

  @Test
  void refuseStopsWritesUntilTheUploadIsAccepted() throws Exception {
    twoVersionsThenAnUpload();
    try (S3Backend b = backend(x -> x.externalEdits(ExternalEditPolicy.REFUSE)); State s = State.load(b, options())) {
      b.flushDerived();
      assertThatThrownBy(() -> s.addHost(host("web03")))
          .isInstanceOf(ExternalEditException.class)
          .hasMessageContaining("~ host web01: address")
          .hasMessageContaining("accept-external");
      assertThat(logRecords()).isEqualTo(2);
      VersionInfo accepted = b.acceptExternalEdit(new AuditEntry("alice@ops", "", "reviewed")).orElseThrow();
      assertThat(accepted.serial()).isEqualTo(3);
      assertThat(accepted.reason()).startsWith("accepted by alice@ops (reviewed): ");
      s.addHost(host("web03"));
      assertThat(s.metadata().serial()).isEqualTo(4);
      assertThat(s.getHost("web01").orElseThrow().address()).isEqualTo("10.9.9.9");
    }
  }
}
