package io.infrastate.s3;

import io.infrastate.lock.AbstractLockProvider;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockInfoCodec;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRecord;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Locks kept as objects in an S3-compatible bucket, as Terraform's S3 backend does with {@code
 * use_lockfile}: the lock {@code NAME} is the object {@code PREFIX + NAME + ".lock"} holding the
 * {@link LockInfo} JSON ({@link LockInfoCodec}), created with {@code If-None-Match: *}. Leases,
 * stale takeover, holder-only release and force-unlock are {@link AbstractLockProvider}'s.
 *
 * <p>Get one from {@link S3Backend#lockProvider(LockOptions)} (locks beside the state, under {@code
 * KEY.infrastate/locks/}) or {@link #create(S3Client, String, String, LockOptions)}.
 *
 * <p>Instances are thread-safe.
 */
public final class S3LockProvider extends AbstractLockProvider {
  /*
   * Design notes: which request makes each primitive atomic.
   *
   *   create  = PUT If-None-Match: *            atomic on AWS S3, MinIO and S3Proxy
   *   renew   = PUT If-Match: <etag read>       atomic on AWS S3 and MinIO (S3Proxy emulates it)
   *   release = DELETE If-Match: <etag read>    holder-only: the id was checked on that version
   *   takeover of a stale lock (another id) = DELETE If-Match: <etag of the stale lock>, then
   *             create: the create-only PUT decides among contenders, so even where If-Match is
   *             only emulated, two contenders cannot both take over one stale lock unless one
   *             contender's DELETE lands between another's delete and create (a window inside
   *             the server's emulated check); on AWS S3 and MinIO the conditional DELETE itself
   *             is atomic.
   *
   * The version of a stored lock is its ETag. A holder that crashes leaves its object; its lease
   * bounds how long it blocks others. This provider keeps no state outside the bucket.
   */

  private final S3Store store;
  private final String prefix;

  S3LockProvider(S3Store store, String prefix, LockOptions options) {
    super(options);
    this.store = store;
    this.prefix = prefix;
  }

  /**
   * A provider on a client the caller keeps ownership of (closing the provider does not close it).
   *
   * @param client the S3 client
   * @param bucket the bucket
   * @param prefix the key prefix of the lock objects, such as {@code locks/} (may be empty)
   * @param options clock, operator, listener, poll intervals
   * @return a new provider
   */
  public static S3LockProvider create(S3Client client, String bucket, String prefix, LockOptions options) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(bucket, "bucket");
    Objects.requireNonNull(prefix, "prefix");
    return new S3LockProvider(new S3Store(client, bucket, S3Store.Sse.NONE), prefix, options);
  }

  private String key(String name) {
    return prefix + name + ".lock";
  }

  @Override
  protected Optional<LockRecord> readLock(String name) {
    String k = key(name);
    return store.get(k).map(b -> new LockRecord(LockInfoCodec.decode(b.content(), store.uri(k)), b.etag()));
  }

  @Override
  protected boolean createLock(String name, LockInfo info) {
    return store.putIfAbsent(key(name), LockInfoCodec.encode(info), Map.of()).isPresent();
  }

  @Override
  protected boolean replaceLock(String name, LockRecord expected, LockInfo next) {
    String k = key(name);
    if (expected.info().id().equals(next.id())) {
      return store.putIfMatch(k, LockInfoCodec.encode(next), Map.of(), expected.version()).isPresent();
    }
    return store.deleteIfMatch(k, expected.version()) && createLock(name, next);
  }

  @Override
  protected boolean deleteLock(String name, LockRecord expected) {
    return store.deleteIfMatch(key(name), expected.version());
  }

  @Override
  public String location() {
    return store.uri(prefix);
  }
}
