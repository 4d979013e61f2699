package io.infrastate.spi;

/**
 * A backend that records each write's id ({@link SaveRequest#writeId()}) with the version it
 * committed, and can say afterwards which write committed a version. Backends whose reply to a
 * commit can be lost (S3, a Git remote) implement it; {@link io.infrastate.State} uses it to make a
 * retry after {@link io.infrastate.model.CommitOutcomeUnknownException} a no-op when the first write
 * was stored after all.
 */
public interface WriteHistory extends Backend {
  /**
   * Whether version {@code serial} was committed by the write with this id.
   *
   * @param serial the version
   * @param writeId the write's id
   * @return {@code true} if that version is stored and records this id; {@code false} if it records
   *     another id or none, or is not stored (not yet, or pruned)
   * @throws io.infrastate.model.BackendException if storage cannot be read; the answer is then unknown
   */
  boolean committedBy(long serial, String writeId);
}
