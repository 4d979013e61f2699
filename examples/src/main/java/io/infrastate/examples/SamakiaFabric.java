package io.infrastate.examples;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.State;
import io.infrastate.model.StateDiff;
import io.infrastate.StateOptions;
import io.infrastate.model.VersionInfo;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockNames;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.lock.LockRequest;
import io.infrastate.s3.S3Backend;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * Seed 003, Samakia Fabric's state policy: control state in S3 (or MinIO) with locking, drift
 * detection between what the state records and what is observed, stop on corruption, and restore
 * from an earlier version.
 *
 * <p>With no arguments it starts an S3-compatible server in this process (S3Proxy, in memory, on
 * 127.0.0.1) and needs no credentials. Given {@code ENDPOINT BUCKET} (such as {@code
 * http://127.0.0.1:9000 infra} for MinIO) it uses that server, with credentials from the AWS SDK's
 * default chain, and works under the key prefix {@code infrastate-examples/samakia/} only (it
 * damages and repairs its own objects there). Run it with {@code java -cp
 * examples/target/infrastate.jar io.infrastate.examples.SamakiaFabric}.
 */
public final class SamakiaFabric {
  private SamakiaFabric() {}

  static final String KEY = "infrastate-examples/samakia/terraform-state.json";
  private static final String ACCESS_KEY = "samakia-example";
  private static final String SECRET_KEY = "samakia-example-secret-0123456789";

  static ResourceState container(String id, String name, String node, int cores, int memory, String role) {
    return ResourceState.builder("proxmox_lxc", id).name(name)
        .data("node", node).data("cores", cores).data("memory", memory).data("template", "debian-12")
        .tag("env", "prod").tag("role", role).build();
  }

  /**
   * Runs the example.
   *
   * @param args nothing (in-process server), or an endpoint and a bucket
   * @throws Exception if the in-process server fails to start or stop
   */
  public static void main(String[] args) throws Exception {
    S3Proxy proxy = null;
    URI endpoint;
    String bucket;
    S3ClientBuilder clientBuilder = S3Client.builder().region(Region.US_EAST_1).forcePathStyle(true);
    if (args.length >= 2) {
      endpoint = URI.create(args[0]);
      bucket = args[1];
      clientBuilder.credentialsProvider(DefaultCredentialsProvider.builder().build());
    } else {
      proxy = S3Proxy.builder()
          .blobStore(BlobStores.create("transient", new Properties()))
          .endpoint(URI.create("http://127.0.0.1:0"))
          .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
          .build();
      proxy.start();
      while (!"STARTED".equals(proxy.getState())) {
        Thread.sleep(1);
      }
      endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
      bucket = "samakia-fabric";
      clientBuilder.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
      System.out.println("S3-compatible server: in-process S3Proxy at " + endpoint);
    }
    try (S3Client s3 = clientBuilder.endpointOverride(endpoint).build()) {
      if (proxy != null) {
        s3.createBucket(CreateBucketRequest.builder().bucket(bucket).build());
      }
      run(s3, bucket);
    } finally {
      if (proxy != null) {
        proxy.stop();
      }
    }
  }

  static S3Backend backend(S3Client s3, String bucket) {
    // The caller keeps the client (the backend does not close a client it was given).
    return S3Backend.builder().client(s3).bucket(bucket).key(KEY).build();
  }

  static String record(long serial) {
    return KEY + ".infrastate/log/" + String.format("%020d", serial) + ".json";
  }

  static void run(S3Client s3, String bucket) {
    StateOptions options = StateOptions.builder().operator("ops@ci").build();
    String damaged;
    try (S3Backend backend = backend(s3, bucket);
        State state = State.load(backend, options);
        LockProvider locks = backend.lockProvider(LockOptions.builder().operator("ops@ci").build());
        LockProvider otherOperator = backend.lockProvider(LockOptions.builder().operator("bob@laptop").build())) {
      System.out.println("state: " + state.location() + ", locks beside it");

      // Apply under the state lock, as Terraform does with use_lockfile.
      try (Lock lock = locks.acquire(LockNames.STATE, LockRequest.of("apply"), Duration.ZERO)) {
        Optional<Lock> second = otherOperator.tryAcquire(LockNames.STATE, LockRequest.of("apply"));
        System.out.println("a second apply while locked is refused: " + second.isEmpty() + " (held by "
            + otherOperator.inspect(LockNames.STATE).map(LockInfo::operator).orElse("nobody") + ")");
        state.update(AuditEntry.of("apply: create containers").withReason("ADR-0007"), tx -> {
          tx.addResource("proxmox_lxc:100", container("100", "dns-1", "pve1", 2, 1024, "dns"));
          tx.addResource("proxmox_lxc:101", container("101", "monitoring-1", "pve1", 2, 2048, "monitoring"));
          tx.addResource("proxmox_lxc:102", container("102", "minio-1", "pve2", 4, 4096, "storage"));
        });
        System.out.println("applied: " + state.getResourcesByType("proxmox_lxc").size() + " containers, serial "
            + state.metadata().serial());
      }
      state.addResource("proxmox_lxc:101", container("101", "monitoring-1", "pve1", 2, 4096, "monitoring"),
          AuditEntry.of("apply: monitoring-1 memory 4096"));
      long good = state.metadata().serial();
      System.out.println("applied: monitoring-1 memory 4096, serial " + good);

      // Drift: what Proxmox reports against what the state records.
      Map<String, ResourceState> seen = new LinkedHashMap<>(state.allResources());
      seen.put("proxmox_lxc:100", container("100", "dns-1", "pve1", 4, 1024, "dns"));
      seen.remove("proxmox_lxc:102");
      seen.put("proxmox_lxc:103", container("103", "scratch", "pve2", 1, 512, "manual"));
      Snapshot observed = Snapshot.of(state.metadata(), state.snapshot().hosts(), seen);
      StateDiff drift = state.diff(observed);
      System.out.println("drift: " + drift.summary() + " (reconcile through code, never by hand)");
      for (StateDiff.Entry e : drift.entries()) {
        String name = (e.kind() == StateDiff.Kind.ADDED ? observed : state.snapshot()).getResource(e.key()).map(ResourceState::name).orElse("");
        System.out.println("  " + e.kind().symbol() + " " + e.key() + " (" + name + ")"
            + (e.kind() == StateDiff.Kind.CHANGED ? ": " + e.fields().stream().map(StateDiff.FieldChange::toString)
                .map(f -> f.substring(2)).reduce((a, b) -> a + ", " + b).orElse("") : ""));
      }

      // Somebody edits the newest log record by hand and breaks it.
      damaged = record(good);
      s3.putObject(PutObjectRequest.builder().bucket(bucket).key(damaged).build(), RequestBody.fromString("{\"serial\": "));
      System.out.println("someone overwrote s3://" + bucket + "/" + damaged + " by hand");
    }

    // The next run stops: nothing is written over damage.
    try (S3Backend backend = backend(s3, bucket); State state = State.load(backend, options)) {
      throw new IllegalStateException("loaded a damaged state at serial " + state.metadata().serial());
    } catch (CorruptStateException e) {
      System.out.println("next run stops: " + e.getClass().getSimpleName() + ": " + e.getMessage().lines().findFirst().orElse(""));
    }

    // Restore: remove the damaged record; the state is the earlier version again, then re-apply.
    s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(damaged).build());
    try (S3Backend backend = backend(s3, bucket); State state = State.load(backend, options)) {
      System.out.println("restored: the damaged record removed, the state is back at version "
          + state.metadata().serial() + " (monitoring-1 memory "
          + state.getResource("proxmox_lxc:101").orElseThrow().data().get("memory") + ")");
      state.addResource("proxmox_lxc:101", container("101", "monitoring-1", "pve1", 2, 4096, "monitoring"),
          AuditEntry.of("apply: monitoring-1 memory 4096").withReason("re-applied after restore"));
      System.out.println("history:");
      for (VersionInfo v : state.history()) {
        System.out.println("  v" + v.serial() + " " + v.operator() + ": " + v.message());
      }
    }
  }
}
