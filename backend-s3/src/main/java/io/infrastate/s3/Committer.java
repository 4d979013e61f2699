package io.infrastate.s3;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.CommitOutcomeUnknownException;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateException;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits versions: the create-only PUT of the next log record, the resolution of a commit whose
 * reply was lost, the first commit of a state, and the recording of an upload at the readable
 * copy's key before a write ({@link CopyEdits}).
 *
 * <p>Thread-safe.
 */
final class Committer {
  /*
   * Design notes.
   *
   * THE COMMIT. Version N exists exactly when the object log/N exists. A writer that loaded version
   * N-1 commits N by PUT log/N with If-None-Match: *. S3 (and MinIO, and S3Proxy, where this is the
   * one conditional write that is atomic) lets exactly one writer create a key, so at most one
   * version N ever exists: there are no lost updates and no two winners for one serial, whatever
   * the number of processes and machines. The loser gets 412 (or 409 from AWS for a simultaneous
   * conditional write), lists the log after N-1, replays the new records onto the version it holds,
   * and returns Conflict(current) so that State re-runs the transaction on it. Records are immutable
   * once created, so the version token only needs the serial and lineage. Before its first
   * conditional write the store probes that the server honours If-None-Match (S3Store).
   *
   * AMBIGUOUS COMMITS. Every record carries its write's id (SaveRequest.writeId, the header's
   * "commit"), the same for every attempt of one write. If the PUT's reply is lost (connection
   * reset, server restart) the SDK retries; a retry that meets 412 reads log/N and, finding its own
   * id, reports success: one PUT, never two versions for one change. When the PUT fails for good,
   * save resolves the outcome before returning: a request that never reached the server
   * (connection refused) stored nothing; otherwise it reads log/N back. This write's id: stored.
   * Another id: it can never be stored (the key is create-only), so a conflict. No record: it was
   * not stored, and the same bytes are PUT once more with If-None-Match, so an original that
   * arrives late is refused rather than making a second version. Only when the server cannot be
   * read either does save throw CommitOutcomeUnknownException with the write id and serial N. A
   * retry that passes it back (AuditEntry.retrying) is a no-op once State holds version N and
   * committedBy(N, id) finds the id in log/N; while State holds less, the retry is an ordinary
   * compare-and-swap on N, which either stores the retry as N (so the lost write can never be
   * stored) or conflicts because N exists, after which the check runs. A retry is therefore
   * applied at most once. Pruning log/N removes the evidence: retry before pruning reaches it.
   *
   * THE FIRST COMMIT. A state that does not exist yet, or that exists only as a state.json at the
   * user's key (imported as the base, LogReader), is committed with a full record. Before that PUT
   * the writer checks that the log is still empty and the user's key still holds what it imported
   * (one LIST and one HEAD, first commit only), so two first commits race on the same serial and
   * one wins. (Residual: a file uploaded with another serial in the milliseconds between that
   * check and a concurrent creation leads to two "first" records; the next load reports the gap as
   * damage rather than losing either.)
   */
  private static final Logger LOG = LoggerFactory.getLogger(Committer.class);

  private final LogLayout layout;
  private final S3Store store;
  private final StoredForms forms;
  private final CheckpointTally tally;
  private final LogReplay replay;
  private final LogReader reader;
  private final DerivedObjects derived;
  private final CopyEdits copyEdits;

  Committer(LogLayout layout, StoredForms forms, CheckpointTally tally, LogReplay replay, LogReader reader,
      DerivedObjects derived, CopyEdits copyEdits) {
    this.layout = layout;
    this.store = layout.store();
    this.forms = forms;
    this.tally = tally;
    this.replay = replay;
    this.reader = reader;
    this.derived = derived;
    this.copyEdits = copyEdits;
  }

  /**
   * Saves; {@code recording}: the request records an upload ({@link CopyEdits}), as a full record.
   * See {@link S3Backend#save}.
   */
  SaveResult save(SaveRequest request, boolean recording) {
    Objects.requireNonNull(request, "request");
    store.requireConditionalWrites(); // once per backend: a server that ignores If-None-Match is refused
    VersionToken expected = request.expected();
    Snapshot next = request.snapshot();
    long serial = next.metadata().serial();
    if (expected.exists() && serial != expected.serial() + 1) {
      throw new IllegalArgumentException("version " + serial + " cannot follow version " + expected.serial()
          + " of " + layout.location() + "; a save writes exactly the next serial");
    }
    if (serial < 1) {
      throw new IllegalArgumentException("serial " + serial + " of " + layout.location() + " must be positive");
    }
    boolean first = !expected.exists() || (expected instanceof S3Token t && t.imported());
    if (first) {
      Optional<SaveResult> refused = checkFirstCommit(expected);
      if (refused.isPresent()) {
        return refused.get();
      }
    }
    if (!first && !recording && copyEdits.pending()) {
      Optional<SaveResult> recorded = recordCopyEdit(expected, null);
      if (recorded.isPresent()) {
        return recorded.get();
      }
    }
    String commit = request.writeId();
    LogRecord.Encoded enc = forms.record(request, commit, first || recording);
    if (enc.record().kind() == LogRecord.Kind.FULL) {
      tally.stateBytes(enc.bytes().length);
    }
    String k = layout.logKey(serial);
    boolean mine;
    try {
      mine = store.putIfAbsent(k, enc.bytes(), Map.of()).isPresent() || isOwnCommit(k, commit, serial, null);
    } catch (ConditionalWritesUnsupportedException e) {
      throw e;
    } catch (BackendException e) {
      mine = resolveLostReply(k, enc, serial, e);
    }
    if (!mine) {
      LOG.debug("Conflict committing serial {} of {}", serial, layout.location());
      return new SaveResult.Conflict(Optional.of(currentAfter(expected)));
    }
    replay.written(serial, enc.record());
    StoredState saved = reader.remember(next);
    derived.afterCommit(next, enc);
    return new SaveResult.Saved(saved.token());
  }

  /**
   * Records an upload at the readable copy's key as the version after {@code expected} (see {@link
   * CopyEdits}); empty if there is none (any more), or it is another state's file.
   *
   * @param accepted who accepts it ({@link S3Backend#acceptExternalEdit}), or null for a save
   * @return the outcome: for a save, a conflict holding the recorded version (the State re-applies
   *     its change on it); for an acceptance, the recorded version
   * @throws io.infrastate.model.ExternalEditException if the policy refuses it (and nobody accepts it)
   */
  Optional<SaveResult> recordCopyEdit(VersionToken expected, AuditEntry accepted) {
    Optional<CopyEdits.Found> found = copyEdits.check();
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Snapshot replaced = reader.held(new VersionKey(expected.lineage(), expected.serial()));
    if (replaced == null) {
      replaced = reader.at(expected.serial()).map(StoredState::snapshot)
          .orElseThrow(() -> new BackendException("Version " + expected.serial() + " of " + layout.location()
              + " could not be read to record the upload at its readable copy; retry.", null, true));
    }
    if (!CopyEdits.edits(found.get(), replaced)) {
      // another state's file (another lineage): not an edit of this one; the copy replaces it, as before
      LOG.warn("{} holds a state of another lineage ({}), written by another tool; it is not this state and is"
          + " replaced by its readable copy. To make a file the state, use State.replace.", layout.location(),
          found.get().file().metadata().lineage());
      recordedCopy(found.get(), replaced);
      return Optional.empty();
    }
    if (accepted == null && copyEdits.policy() == ExternalEditPolicy.REFUSE) {
      throw copyEdits.refused(found.get(), replaced);
    }
    Snapshot content = CopyEdits.asVersion(found.get(), replaced, Instant.now());
    SaveResult r = save(new SaveRequest(expected, content, List.of(), copyEdits.audit(found.get(), replaced, accepted)),
        true);
    if (r instanceof SaveResult.Saved saved) {
      recordedCopy(found.get(), content);
      return Optional.of(accepted != null ? r : new SaveResult.Conflict(Optional.of(new StoredState(content, saved.token()))));
    }
    return Optional.of(r);
  }

  /** Writes the readable copy of {@code version} over a recorded (or foreign) upload; see {@link CopyEdits#recorded}. */
  private void recordedCopy(CopyEdits.Found found, Snapshot version) {
    ObjectBody bytes = derived.stateJson(version);
    try {
      copyEdits.recorded(found, forms.copy(version, bytes), DerivedObjects.copyMetadata(version));
    } finally {
      bytes.release();
    }
  }

  /**
   * Decides a commit whose PUT failed: the request may have been stored with its reply lost. A
   * request that never reached the server (connection refused) stored nothing. Otherwise the
   * record at its serial is read back: this write's id there means it was stored; another write's
   * means it can never be (the key is create-only); no record means it was not, and the same PUT is
   * sent once more (create-only, so an original that arrives late cannot make a second version).
   *
   * @return whether the version is this write's; false: another writer's, a conflict
   * @throws CommitOutcomeUnknownException if the server cannot tell
   * @throws BackendException if the request never reached the server: nothing was stored
   */
  private boolean resolveLostReply(String k, LogRecord.Encoded enc, long serial, BackendException failure) {
    if (neverSent(failure)) {
      throw new BackendException("Could not commit version " + serial + " of " + layout.location() + ": "
          + failure.getMessage() + " The server was not reached, so nothing was stored.", failure, true);
    }
    String commit = enc.record().commit();
    LOG.warn("The reply to the commit of version {} of {} was lost ({}); reading {} back to see whether it is"
        + " stored", serial, layout.location(), failure.getMessage(), store.uri(k));
    try {
      Optional<S3Store.Blob> stored = store.get(k);
      if (stored.isPresent()) {
        return isOwnCommit(k, commit, serial, stored.get());
      }
      return store.putIfAbsent(k, enc.bytes(), Map.of()).isPresent() || isOwnCommit(k, commit, serial, null);
    } catch (CommitOutcomeUnknownException e) {
      throw e;
    } catch (BackendException e) {
      e.addSuppressed(failure);
      throw new CommitOutcomeUnknownException(layout.location(), serial, commit, "the reply to PUT " + store.uri(k)
          + " was lost (" + failure.getMessage() + ") and reading it back failed (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Whether a failure happened before the request reached the server: the last attempt could not
   * connect, and every earlier attempt of the SDK's own retries (recorded as suppressed
   * exceptions, by message only) could not either. Anything else may have reached it.
   */
  static boolean neverSent(Throwable e) {
    boolean refused = false;
    for (Throwable t = e; t != null; t = t.getCause()) {
      refused |= t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException;
      for (Throwable earlier : t.getSuppressed()) {
        if (!couldNotConnect(String.valueOf(earlier.getMessage()))) {
          return false;
        }
      }
    }
    return refused;
  }

  private static boolean couldNotConnect(String message) {
    String m = message.toLowerCase(Locale.ROOT);
    return m.contains("connection refused") || m.contains("connect timed out") || m.contains("unknownhost")
        || m.contains("unknown host") || m.contains("name or service not known");
  }

  /**
   * Whether the record at {@code k} is this write's commit (the server refused the PUT because it
   * exists: maybe the SDK's own retry of a request whose reply was lost, or a late original).
   *
   * @param stored the record if already read, or null to read it
   * @throws CommitOutcomeUnknownException if it cannot be read
   */
  private boolean isOwnCommit(String k, String commit, long serial, S3Store.Blob stored) {
    S3Store.Blob b = stored;
    if (b == null) {
      try {
        Optional<S3Store.Blob> got = store.get(k);
        if (got.isEmpty()) {
          return false; // deleted meanwhile (pruned): certainly not a new commit of ours
        }
        b = got.get();
      } catch (BackendException e) {
        throw new CommitOutcomeUnknownException(layout.location(), serial, commit, "the server refused to create "
            + store.uri(k) + " because it exists, and reading it back to see whether it is this write's (after a"
            + " lost reply) failed (" + e.getMessage() + ")", e);
      }
    }
    try {
      return commit.equals(forms.readRecord(b.content(), store.uri(k), "").commit());
    } catch (StateException e) {
      return false; // damaged: certainly not ours; the conflict path reports it
    }
  }

  private Optional<SaveResult> checkFirstCommit(VersionToken expected) {
    if (!layout.serials(layout.logPrefix(), null, 1).isEmpty()) {
      return Optional.of(new SaveResult.Conflict(reader.load()));
    }
    Optional<S3Store.Head> copy = store.head(layout.key());
    boolean same = expected instanceof S3Token t && t.imported()
        ? copy.isPresent() && copy.get().etag().equals(t.copyEtag())
        : copy.isEmpty();
    if (!same) {
      return Optional.of(new SaveResult.Conflict(reader.load()));
    }
    return Optional.empty();
  }

  private StoredState currentAfter(VersionToken expected) {
    if (expected instanceof S3Token t && !t.imported() && t.serial() >= 1) {
      Optional<StoredState> changed = reader.changedSince(t);
      if (changed.isPresent()) {
        return changed.get();
      }
    }
    return reader.load().orElseThrow(() -> new BackendException(
        "S3 reported that version " + (expected.serial() + 1) + " of " + layout.location() + " exists, but the log"
            + " under " + store.uri(layout.logPrefix()) + " is now empty; it is being deleted. Nothing was written.",
        null, true));
  }
}
