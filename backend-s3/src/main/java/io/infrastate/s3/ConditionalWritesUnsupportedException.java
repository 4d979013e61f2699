package io.infrastate.s3;

import io.infrastate.model.BackendException;

/**
 * The S3-compatible server accepts a create-only PUT ({@code If-None-Match: *}) of an object that
 * already exists, instead of refusing it with 412: it ignores conditional writes. Every commit of
 * {@link S3Backend} and every lock of {@link S3LockProvider} relies on that refusal (it is what
 * lets exactly one writer create each version), so on such a server two writers could both
 * commit the same version and two holders could both take one lock. Writes and lock operations
 * are refused with this exception, before anything of the state is written; reads keep working.
 *
 * <p>Checked once per backend and per lock provider, on its first conditional write, with a probe
 * object that is deleted again. Not retryable: use a server that honours {@code If-None-Match}
 * (AWS S3, MinIO, Ceph RGW, Cloudflare R2, S3Proxy), or upgrade this one.
 */
public final class ConditionalWritesUnsupportedException extends BackendException {
  private static final long serialVersionUID = 1L;

  /** The server that ignored the condition: its endpoint, or {@code AWS S3 (region)}. */
  private final String server;

  /**
   * Creates the exception.
   *
   * @param server the endpoint (or "AWS S3 (region)") that accepted the write
   * @param bucket the bucket the probe wrote to
   */
  public ConditionalWritesUnsupportedException(String server, String bucket) {
    super("The S3 server " + server + " (bucket '" + bucket + "') does not support conditional writes:"
        + " it accepted a create-only PUT (If-None-Match: *) of an object that already exists instead of"
        + " refusing it with 412 Precondition Failed. infrastate commits every version and takes every"
        + " lock with such a write, so on this server two writers could both commit the same version;"
        + " nothing was written and no lock was taken. Reading still works. Use a server that honours"
        + " If-None-Match (AWS S3, MinIO, Ceph RGW, Cloudflare R2), or upgrade this one.",
        null, false);
    this.server = server;
  }

  /**
   * The server that ignored the condition: its endpoint, or {@code AWS S3 (region)}.
   *
   * @return the server, for messages
   */
  public String server() {
    return server;
  }
}
