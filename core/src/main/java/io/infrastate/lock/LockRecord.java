package io.infrastate.lock;

import java.util.Objects;

/**
 * A lock as read from storage, with the storage's version of it: what {@link
 * AbstractLockProvider}'s primitives read and then compare against, so that a replace or delete
 * happens only if nobody changed the lock in between.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param info the stored lock
 * @param version the storage's version of the stored lock, opaque to everyone but the provider
 *     that made it: an S3 ETag, a Git blob or commit id, a content hash, or empty for providers
 *     that compare {@code info} itself
 */
public record LockRecord(LockInfo info, String version) {
  /**
   * Creates a record.
   *
   * @param info the stored lock
   * @param version the storage's version of the stored lock, opaque to everyone but the provider
   *     that made it: an S3 ETag, a Git blob or commit id, a content hash, or empty for providers
   *     that compare {@code info} itself
   * @throws NullPointerException if {@code info} is null
   */
  public LockRecord {
    Objects.requireNonNull(info, "info");
    version = version == null ? "" : version;
  }

  /**
   * A record without a storage version, for providers that compare lock content.
   *
   * @param info the stored lock
   * @return a new record
   */
  public static LockRecord of(LockInfo info) {
    return new LockRecord(info, "");
  }
}
