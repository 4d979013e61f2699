package io.infrastate;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.CommitOutcomeUnknownException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.WriteHistory;

/**
 * A retry after {@link CommitOutcomeUnknownException}: decides whether the earlier write, named by
 * {@link AuditEntry#retryOf()}, was stored, in which case the retry stores nothing.
 *
 * <p>The earlier write could only ever be stored as the version its token names (serial N): it was
 * a compare-and-swap on version N-1. So while the latest version a writer holds is below N, the
 * retry goes ahead as a normal write: the backend's compare-and-swap either stores it as N (and the
 * earlier write can then never be stored) or reports a conflict because N exists, after which the
 * writer holds N and this check asks the backend whether N is the earlier write's. A retry
 * therefore applies its change at most once, and exactly once when the earlier write was lost.
 */
final class RetriedWrite {
  private RetriedWrite() {}

  /**
   * Whether the request with this audit entry retries a write that is already stored in {@code
   * base} or a version before it: the request is then done without a change.
   *
   * @throws BackendException if the backend cannot say (it keeps no write ids, or cannot be read)
   */
  static boolean alreadyStored(Backend backend, StoredState base, AuditEntry audit) {
    String token = audit.retryOf();
    if (token.isEmpty()) {
      return false;
    }
    int colon = token.indexOf(':');
    long serial = Long.parseLong(token.substring(0, colon));
    String writeId = token.substring(colon + 1);
    if (base.snapshot().metadata().serial() < serial) {
      return false;
    }
    if (!(backend instanceof WriteHistory history)) {
      throw new BackendException("The backend of " + backend.location() + " keeps no write ids, so it cannot tell"
          + " whether the write " + token + " was stored; nothing was written. Check the state's history and apply"
          + " the change again without retryOf if it is missing.", null, false);
    }
    return history.committedBy(serial, writeId);
  }

}
