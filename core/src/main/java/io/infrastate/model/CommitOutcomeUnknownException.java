package io.infrastate.model;

/**
 * A write was sent, but whether storage committed it cannot be known: the reply to the commit was
 * lost (a connection reset after an S3 PUT or a Git push was sent) and reading back what storage
 * holds failed too. The change may or may not be stored; the in-memory state is unchanged. Every
 * other exception from a write means that nothing was stored.
 *
 * <p>Backends first try to resolve the outcome themselves, by looking for the write's own id
 * ({@link #writeId()}) where the version would be: only when that is impossible is this thrown.
 *
 * <p>To retry, pass the exception back with the same change: the retry first checks whether this
 * write was stored after all, and is then a no-op (returning the stored state); otherwise it
 * applies the change once, on the latest version. This holds for a change that is not idempotent,
 * such as incrementing a counter, and for a retry through another {@link io.infrastate.State} handle or process
 * given {@link #retryToken()}:
 *
 * <pre>{@code
 * Consumer<Transaction> countDeploy = tx -> {
 *   ResourceState c = tx.getResource("counter:deploys").orElseThrow();
 *   tx.addResource("counter:deploys", c.withData("count", ((Number) c.data().get("count")).longValue() + 1));
 * };
 * try {
 *   state.update(AuditEntry.of("count a deploy"), countDeploy);
 * } catch (CommitOutcomeUnknownException e) {
 *   // later, once storage answers again: counts once, whether or not the first write was stored
 *   state.update(AuditEntry.of("count a deploy").retrying(e), countDeploy);
 * }
 * }</pre>
 *
 * <p>A retry needs a backend that records write ids ({@link io.infrastate.spi.WriteHistory}: S3
 * and Git do), and the version the write would have made must still be kept (not pruned). {@link
 * #retryable()} is {@code true}: the same call may succeed later, and passed back as above it never
 * applies the change twice.
 */
public class CommitOutcomeUnknownException extends StateException {
  private static final long serialVersionUID = 1L;

  /** The state's location. */
  private final String location;
  /** The version the write would have created, if stored. */
  private final long serial;
  /** The write's id, recorded with the version if it was stored. */
  private final String writeId;

  /**
   * Creates the exception.
   *
   * @param location the state's location, such as {@code s3://bucket/key}
   * @param serial the version the write would have created
   * @param writeId the write's id, as the backend records it with the version
   * @param what what happened, such as {@code "the reply to PUT s3://… was lost (Connection reset)
   *     and reading it back failed (…)"}
   * @param cause the failure that made the outcome unknown
   */
  public CommitOutcomeUnknownException(String location, long serial, String writeId, String what, Throwable cause) {
    super("The outcome of writing version " + serial + " of " + location + " is unknown: " + what + ". The change"
        + " may or may not be stored (write id " + writeId + "); nothing changed in memory. Retry the same"
        + " change with AuditEntry.retrying(this exception) (or withRetryOf(\"" + serial + ":" + writeId + "\")):"
        + " it is applied only if this write was not stored.", cause);
    this.location = location;
    this.serial = serial;
    this.writeId = writeId;
  }

  /**
   * The state's location.
   *
   * @return the location, as {@link io.infrastate.State#location()} names it
   */
  public String location() {
    return location;
  }

  /**
   * The version the write would have created, if stored.
   *
   * @return the serial
   */
  public long serial() {
    return serial;
  }

  /**
   * The write's id, recorded with the version if it was stored (the S3 log record's {@code
   * commit}, the Git commit's {@code Infrastate-Write} trailer).
   *
   * @return the id
   */
  public String writeId() {
    return writeId;
  }

  /**
   * What a retry passes back to be a no-op if this write was stored: {@code SERIAL:WRITEID}, for
   * {@link AuditEntry#withRetryOf(String)} (in another process, say).
   *
   * @return the token, such as {@code 7:3f2a9c1e-…}
   */
  public String retryToken() {
    return serial + ":" + writeId;
  }

  /** {@code true}: retried with {@link AuditEntry#retrying}, the change is applied at most once. */
  @Override
  public boolean retryable() {
    return true;
  }
}
