package io.infrastate.spi;

/**
 * A backend whose own earlier versions may be re-stored in another form: one that keeps them in
 * files it owns (the file backend), unlike Git commits or S3 objects, whose history is immutable.
 * {@code StateEncryption.encrypt} and {@code decrypt} with {@code History.REWRITE} use it.
 */
public interface HistoryRewritingBackend extends StoredFormBackend {
  /**
   * Re-stores every earlier version this backend keeps (backup, history versions, audit entries,
   * journal records) in the stored form of the current version: sealed if it is sealed, in clear if
   * not. Under the state's write lock; each file is replaced atomically and durably, so a crash
   * leaves each in one form or the other, both readable, and a rerun finishes the job.
   *
   * @return the number of files rewritten
   * @throws io.infrastate.model.BackendException on storage failure
   * @throws io.infrastate.model.SecretKeyException if a sealed version does not open with the keys held
   */
  int rewriteHistory();
}
