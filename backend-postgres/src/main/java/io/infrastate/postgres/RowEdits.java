package io.infrastate.postgres;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditException;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateDiff;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.util.List;
import java.util.Objects;

/**
 * Tells rows changed by SQL outside infrastate from the rows this backend wrote, and describes
 * such an edit: the PostgreSQL backend's part of {@link ExternalEditPolicy}.
 *
 * <p>Instances are immutable and thread-safe.
 */
final class RowEdits {
  /*
   * Design notes.
   *
   * WHAT IS AN EXTERNAL EDIT. Every row the backend writes carries the SHA-256 of its content
   * (RowHash), computed by the server in the statement that writes it. A load reads, in its one
   * statement, the head, the newest checkpoint at or below it and every versions row after that
   * checkpoint (also those beyond the head, which infrastate never leaves: its commit advances the
   * head and inserts the row in one statement), each with whether its hash still matches. A row
   * whose hash differs (an UPDATE) or is missing (an INSERT by hand), or a row beyond the head, is
   * an external edit.
   *
   * WHAT THE EDIT IS. The edited content is what the rows say now: replayed through the head's
   * serial when the head itself was changed (the head decides, so moving it back is a rollback),
   * else through the last row (a row inserted by hand is a version). The version it replaced (R) is
   * the last one infrastate wrote: the head's serial if the head is intact, else the newest intact
   * row's. The edit becomes version R + 1 of the same lineage. The replaced version's content, for
   * the difference, is replayed from intact rows where those reach it, else taken from this
   * process's memory of it (it wrote or read it), else unknown: an UPDATE overwrote the only copy.
   * Rows whose data no longer decodes, or whose serials or lineages do not line up, are damage
   * (CorruptStateException), not an edit.
   *
   * Where no row read was written by infrastate (a state made entirely by SQL), nothing tells what
   * infrastate last wrote: the rows load as they are, as before hashes existed, with a Foreign token
   * whose write requires a head without a hash instead of an intact one.
   *
   * WRITES DO NOT GO ON FROM AN EDIT. The compare-and-swap of every write requires the head and the
   * versions rows a load replays to be intact and no row beyond the head (Committer.write):
   * a writer holding a version loaded before the edit conflicts, and the conflict path loads the
   * edit. Only a changed checkpoint (hashing it on every write would cost its whole size) is left
   * to the next load.
   *
   * READS STAY READS. A load returns the edited content as version R + 1 with a Pending token and
   * writes nothing.
   *
   * RECORDING (EditRecorder.record), in one transaction holding the head row's lock, so that
   * writers queue behind it: the rows are read again and the edit must be the one the token holds
   * (else Conflict with what is there now, and the caller re-applies its change on that). Rows
   * beyond R (inserted by hand) are deleted, their content being in the edited version; version R,
   * when its original content is known and a row at or before it was changed in place, is restored
   * as a full version with its checkpoint, so that history shows it as infrastate wrote it; the
   * head is set back to R with its hash; then the edit is written as full version R + 1 (operator
   * "external", the difference as reason) and, for a save, the caller's change as R + 2, through the
   * ordinary compare-and-swap statement. A concurrent writer either committed before the lock (the
   * rows differ: Conflict, re-applied) or waits for it and then loses its compare-and-swap and
   * re-applies on the recorded version: nothing is lost.
   */

  private final String location;
  private final ExternalEditPolicy policy;

  RowEdits(String location, ExternalEditPolicy policy) {
    this.location = location;
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  ExternalEditPolicy policy() {
    return policy;
  }

  /**
   * An external edit as found in the rows.
   *
   * @param content the edited content as the next version (serial R + 1, the state's lineage)
   * @param replacedSerial R, the last version infrastate wrote
   * @param replaced R's content as infrastate wrote it, or null if no longer known
   * @param restore whether a row at or before R was changed in place (R is restored on recording)
   * @param notes which rows changed, one line each
   */
  record Found(Snapshot content, long replacedSerial, Snapshot replaced, boolean restore, List<String> notes) {
    /** The stored state a load returns for it. */
    StoredState stored() {
      return new StoredState(content, new Pending(content.metadata().serial(), content.metadata().lineage(), this));
    }

    /** Whether another finding is the same edit (same replaced version, same content). */
    boolean same(Found other) {
      return other != null && other.replacedSerial == replacedSerial && other.content.equals(content);
    }
  }

  /**
   * The token of an external edit not yet recorded: a save from it records the edit first.
   *
   * @param serial the serial the edit gets
   * @param lineage the state's lineage
   * @param found the edit
   */
  record Pending(long serial, String lineage, Found found) implements VersionToken {}

  /**
   * The token of a state whose rows infrastate never wrote (all created by SQL, such as an import):
   * not an edit, since nothing infrastate wrote is known; the first write from it does not require
   * the head's hash.
   *
   * @param serial the serial the rows hold
   * @param lineage the lineage they hold
   */
  record Foreign(long serial, String lineage) implements VersionToken {}

  /** The edit as the API describes it. */
  ExternalEdit describe(Found f) {
    StateDiff diff = f.replaced() == null ? null : StateDiff.between(f.replaced(), f.content());
    return new ExternalEdit(location, f.replacedSerial(), f.content().metadata().lineage(), diff, f.notes(), List.of());
  }

  /** The error a refused write throws. */
  ExternalEditException refused(Found f) {
    String hint = f.replaced() == null ? ""
        : "accept it, then roll back: infrastate state rollback " + f.replacedSerial();
    return new ExternalEditException(describe(f), hint);
  }

  /** The audit entry the edit is recorded with. */
  AuditEntry audit(Found f, AuditEntry accepted) {
    return describe(f).audit(accepted);
  }
}
