package io.infrastate.spi;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.VersionInfo;
import java.util.Optional;

/**
 * A backend that tells external edits apart: it knows what it last wrote (a content hash in its
 * sidecar, a commit, a log record) and reports stored content that differs from it as an {@link
 * ExternalEdit} instead of absorbing it silently.
 *
 * <p>Contract: {@link #load()} returns the edited content as the next version (serial {@link
 * ExternalEdit#serial()}, the state's lineage) and writes nothing; {@link #save(SaveRequest)} from
 * that version first records the edit as a version of its own and then stores the request's, or,
 * under {@link ExternalEditPolicy#REFUSE}, throws {@link io.infrastate.model.ExternalEditException} and
 * stores nothing.
 */
public interface ExternalEditBackend extends Backend {
  /**
   * What this backend does with external edits.
   *
   * @return the policy, {@link ExternalEditPolicy#RECORD} unless configured otherwise
   */
  ExternalEditPolicy externalEditPolicy();

  /**
   * The external edit the stored state holds now, if any. Reads only: takes no write lock and
   * writes nothing.
   *
   * @return the edit, or empty if the stored state is what infrastate last wrote (or nothing is
   *     stored)
   * @throws io.infrastate.model.CorruptStateException if the stored data is damaged
   * @throws io.infrastate.model.BackendException on storage failure
   */
  Optional<ExternalEdit> externalEdit();

  /**
   * Records the external edit the stored state holds now as a version of its own, whatever the
   * policy: what a person does to let writes go on under {@link ExternalEditPolicy#REFUSE}.
   *
   * @param audit who accepted it and why; the version is recorded with operator {@value
   *     ExternalEdit#OPERATOR} and operation {@value ExternalEdit#OPERATION}, and this entry's
   *     operator and reason are added to its reason
   * @return the version recorded, or empty if there was no external edit to accept
   * @throws io.infrastate.model.CorruptStateException if the stored data is damaged (nothing is written)
   * @throws io.infrastate.model.BackendException on storage failure
   */
  Optional<VersionInfo> acceptExternalEdit(AuditEntry audit);
}
