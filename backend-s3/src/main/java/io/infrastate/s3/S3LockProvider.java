package io.infrastate.s3;

import io.infrastate.lock.AbstractLockProvider;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockInfoCodec;
import io.infrastate.lock.LockNames;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRecord;
import io.infrastate.model.BackendException;
import io.infrastate.codec.StateCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
   * Creating a lock is PUT If-None-Match: *, atomic on AWS S3, MinIO and S3Proxy alike. Every
   * change of a stored version V (renew, stale takeover, release, force-unlock) must happen at
   * most once, but If-Match, the natural condition, is atomic on AWS S3 and MinIO and only
   * emulated (HEAD, then write) by S3Proxy and some other servers: two contenders can both pass
   * the check. So each change first creates a claim object for that exact version,
   * NAME.lock.claims/<etag of V>, with If-None-Match: * -- exactly one contender wins the claim
   * for V on every server -- and only the winner changes the lock:
   *
   *   renew, takeover, release, force-unlock = claim V; PUT If-Match V with the new record
   *
   * (a release or force-unlock writes a released record that carries the fencing token). A
   * takeover is a PUT over V, never a DELETE and a create: in the gap between those a plain
   * acquirer would find nothing stored and start the token count afresh, below the tokens
   * already handed out.
   *
   * then deletes the claim. A version never comes back once changed (the ETag covers the lock id
   * and expiry), so a late contender that claims V after the claim is gone finds V replaced and
   * fails its If-Match. A claimer that dies leaves its claim; a claim older than CLAIM_TTL on the
   * provider's clock is removed by the next contender, so the lock is stuck at most that long
   * (removing a stale claim uses DELETE If-Match, the one place left where an emulated If-Match
   * could let two contenders through, and only after a claimer died).
   *
   * A holder that crashes leaves its lock; its lease bounds how long it blocks others. This
   * provider keeps no state outside the bucket.
   */

  /** How long a claim may stay before it counts as left behind by a dead claimer. */
  static final Duration CLAIM_TTL = Duration.ofMinutes(1);

  private static final Logger LOG = LoggerFactory.getLogger(S3LockProvider.class);

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
    return new S3LockProvider(new S3Store(client, bucket, S3Store.Sse.NONE, prefix), prefix, options);
  }

  private String key(String name) {
    return prefix + name + ".lock";
  }

  @Override
  protected Optional<LockRecord> readLock(String name) {
    String k = key(name);
    return store.get(k).map(b -> new LockRecord(LockInfoCodec.decode(b.content(), store.uri(k)), b.etag()));
  }

  /**
   * {@inheritDoc}
   *
   * <p>The objects {@code PREFIX + NAME + ".lock"} directly under the prefix (one LIST request per
   * thousand keys, then a GET of each lock); claim objects and keys that are not lock names are
   * skipped, and so is a lock deleted while listing.
   */
  @Override
  protected List<LockRecord> readLocks() {
    List<LockRecord> out = new ArrayList<>();
    for (S3Store.Listed o : store.list(prefix, null, Integer.MAX_VALUE)) {
      String rest = o.key().substring(prefix.length());
      if (rest.indexOf('/') >= 0 || !rest.endsWith(".lock")) {
        continue;
      }
      String name = rest.substring(0, rest.length() - ".lock".length());
      try {
        LockNames.validate(name);
      } catch (IllegalArgumentException e) {
        continue; // not an object this provider wrote
      }
      readLock(name).ifPresent(out::add);
    }
    return out;
  }

  @Override
  protected boolean createLock(String name, LockInfo info) {
    return store.putIfAbsent(key(name), LockInfoCodec.encode(info), Map.of()).isPresent();
  }

  @Override
  protected boolean replaceLock(String name, LockRecord expected, LockInfo next) {
    String k = key(name);
    if (!claim(name, expected)) {
      return false;
    }
    try {
      return store.putIfMatch(k, LockInfoCodec.encode(next), Map.of(), expected.version()).isPresent();
    } finally {
      unclaim(name, expected);
    }
  }

  @Override
  protected boolean deleteLock(String name, LockRecord expected) {
    if (!claim(name, expected)) {
      return false;
    }
    try {
      return store.deleteIfMatch(key(name), expected.version());
    } finally {
      unclaim(name, expected);
    }
  }

  private String claimKey(String name, LockRecord version) {
    return key(name) + ".claims/" + version.version().replaceAll("[^A-Za-z0-9-]", "");
  }

  /** Wins the right to change one stored version, or learns that somebody else has it. */
  private boolean claim(String name, LockRecord expected) {
    String k = claimKey(name, expected);
    Instant now = clock().instant();
    byte[] body = ("{\"claimed_at\": \"" + StateCodec.formatTime(now) + "\", \"by\": \""
        + options().operator().replace("\\", "").replace("\"", "") + "\"}\n").getBytes(StandardCharsets.UTF_8);
    if (store.putIfAbsent(k, body, Map.of()).isPresent()) {
      return true;
    }
    Optional<S3Store.Blob> existing = store.get(k);
    if (existing.isPresent() && isLeftBehind(existing.get().content(), now)) {
      LOG.warn("Removing claim {} on lock '{}' at {}: its claimer stopped before finishing", store.uri(k), name, location());
      store.deleteIfMatch(k, existing.get().etag());
    } else if (existing.isPresent()) {
      pause(); // another contender is changing this version right now: let it finish before re-reading
    }
    return false;
  }

  private static void pause() {
    try {
      Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(2, 12));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean isLeftBehind(byte[] claim, Instant now) {
    String text = new String(claim, StandardCharsets.UTF_8);
    int at = text.indexOf("\"claimed_at\": \"");
    if (at < 0) {
      return true; // not a claim we wrote: unusable, so clear it
    }
    int start = at + 15;
    int end = text.indexOf('"', start);
    try {
      return !StateCodec.parseTime(text.substring(start, end)).plus(CLAIM_TTL).isAfter(now);
    } catch (RuntimeException e) {
      return true;
    }
  }

  private void unclaim(String name, LockRecord expected) {
    try {
      store.delete(claimKey(name, expected));
    } catch (BackendException e) {
      LOG.debug("Could not remove claim on lock '{}' at {}; it expires after {}", name, location(), CLAIM_TTL, e);
    }
  }

  @Override
  public String location() {
    return store.uri(prefix);
  }
}
