package io.infrastate.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A server that ignores {@code If-None-Match} (here: a proxy that drops the header in front of
 * S3Proxy) is refused for writes and locks, with the server and the missing feature named; reads
 * still work, and the probe leaves no object behind. The same server without the proxy passes.
 */
class ConditionalWritesProbeTest {
  static S3TestServer server;
  static HeaderStrippingProxy proxy;
  static S3Client direct;
  static S3Client stripped;
  static String bucket;

  @BeforeAll
  static void start() throws Exception {
    server = S3TestServer.startWithoutAuthentication();
    proxy = HeaderStrippingProxy.start(server.endpoint(), "If-None-Match");
    direct = server.client();
    stripped = S3TestServer.client(proxy.endpoint(), S3TestServer.SECRET_KEY);
    bucket = server.newBucket();
  }

  @AfterAll
  static void stop() throws Exception {
    stripped.close();
    direct.close();
    proxy.close();
    server.close();
  }

  static HostState host(String name) {
    return HostState.builder(name).address("10.3.0.1").build();
  }

  static S3Backend backend(S3Client client, String key) {
    return S3Backend.builder().client(client).bucket(bucket).key(key).build();
  }

  static List<String> keys(String prefix) {
    return direct.listObjectsV2(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build()).contents()
        .stream().map(S3Object::key).toList();
  }

  @Test
  void theProxyReallyMakesTheServerIgnoreTheCondition() {
    String key = "facts/" + UUID.randomUUID();
    stripped.putObject(PutObjectRequest.builder().bucket(bucket).key(key).build(), RequestBody.fromString("1"));
    // through the proxy a create-only PUT of an existing key is accepted; directly it is refused
    stripped.putObject(PutObjectRequest.builder().bucket(bucket).key(key).ifNoneMatch("*").build(), RequestBody.fromString("2"));
    assertThatThrownBy(() -> direct.putObject(PutObjectRequest.builder().bucket(bucket).key(key).ifNoneMatch("*").build(),
        RequestBody.fromString("3")))
        .hasMessageContaining("412");
  }

  @Test
  void writesAreRefusedNamingTheServerAndTheMissingFeatureWhileReadsWork() {
    String key = "probe/" + UUID.randomUUID() + "/state.json";
    try (S3Backend good = backend(direct, key); State state = State.load(good)) {
      state.addHost(host("web01"));
    }
    List<String> before = keys(key);
    try (S3Backend bad = backend(stripped, key); State state = State.load(bad)) {
      assertThat(state.allHosts()).extracting(HostState::name).containsExactly("web01"); // reads work
      assertThatThrownBy(() -> state.addHost(host("web02")))
          .isInstanceOfSatisfying(ConditionalWritesUnsupportedException.class, e -> {
            assertThat(e.retryable()).isFalse();
            assertThat(e.server()).isEqualTo(proxy.endpoint().toString());
          })
          .hasMessageContaining(proxy.endpoint().toString())
          .hasMessageContaining("does not support conditional writes")
          .hasMessageContaining("If-None-Match")
          .hasMessageContaining("nothing was written");
      assertThat(state.hasHost("web02")).isFalse();
      // the answer is kept: the second write is refused without probing again
      assertThatThrownBy(() -> state.addHost(host("web03"))).isInstanceOf(ConditionalWritesUnsupportedException.class);
    }
    assertThat(keys(key)).isEqualTo(before); // nothing committed, no probe object left
    try (S3Backend good = backend(direct, key); State state = State.load(good)) {
      assertThat(state.allHosts()).extracting(HostState::name).containsExactly("web01");
      state.addHost(host("web04")); // the same server without the proxy passes the probe
      assertThat(state.metadata().serial()).isEqualTo(2);
    }
    assertThat(keys(key)).noneMatch(k -> k.contains("probe-"));
  }

  @Test
  void locksAreRefusedToo() {
    String prefix = "locks-" + UUID.randomUUID() + "/";
    try (S3LockProvider bad = S3LockProvider.create(stripped, bucket, prefix, LockOptions.defaults())) {
      assertThatThrownBy(() -> bad.tryAcquire("deploy", LockRequest.builder().build()))
          .isInstanceOf(ConditionalWritesUnsupportedException.class)
          .hasMessageContaining(proxy.endpoint().toString())
          .hasMessageContaining("no lock was taken");
    }
    assertThat(keys(prefix)).isEmpty();
    String key = "locks/" + UUID.randomUUID() + "/state.json";
    try (S3Backend bad = backend(stripped, key); S3LockProvider locks = bad.lockProvider(LockOptions.defaults())) {
      assertThatThrownBy(() -> locks.tryAcquire("deploy", LockRequest.builder().build()))
          .isInstanceOf(ConditionalWritesUnsupportedException.class);
    }
    assertThat(keys(key)).isEmpty();
    try (S3LockProvider good = S3LockProvider.create(direct, bucket, prefix, LockOptions.defaults())) {
      assertThat(good.tryAcquire("deploy", LockRequest.builder().build())).isPresent();
    }
    assertThat(keys(prefix)).containsExactly(prefix + "deploy.lock");
  }
}
