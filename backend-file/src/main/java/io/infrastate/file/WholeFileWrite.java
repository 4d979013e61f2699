package io.infrastate.file;

import io.infrastate.codec.EntryEncodings;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole-file mode's save: a new {@code state.json} renamed over the old one, with the backup
 * and the history entry prepared before and completed after.
 *
 * <h2>Steps</h2>
 *
 * <ol>
 *   <li>Encode the snapshot, in chunks ({@link EncodedState}), outside any lock: CPU only.
 *   <li>Take the sidecar lock: a per-JVM lock, then an OS lock (fcntl) on the sidecar. Every
 *       writer of this file, in any process, holds it for steps 3-8; readers never take it.
 *   <li>Compare-and-swap. Fast path: the file's stamp and the sidecar's write generation equal
 *       those in the expected token, so it is unchanged and nothing is read. Otherwise the file is
 *       parsed (damage raises CorruptStateException: stop, nothing written) and its serial and
 *       lineage are compared with the expected ones; a mismatch returns Conflict with the parsed
 *       state, so the caller need not read it again. A file another tool wrote ({@link
 *       ExternalEdits}) must be the same edit the caller read (its hash); it is then refused by
 *       the policy, or written into the history as a version of its own, fsynced, before step 4.
 *   <li>Write a temporary file in the same directory, created exclusively (never through a link
 *       planted at its random name), mode 0600, and fsync it.
 *   <li>Prepare the history: hard-link the temporary file under a temporary name in history/ and
 *       write the audit record to another (fsynced).
 *   <li>Hard-link the current file as the backup (via a temporary name and a rename): versions are
 *       never modified in place, only replaced, so the backup costs no copy.
 *   <li>rename(2) the temporary file over the state file: atomic, so a reader or a crash sees the
 *       old or the new version, never a mix. This publishes the version.
 *   <li>Rename the history's temporary files to {@code <serial>.json} and {@code
 *       <serial>.audit.json}, prune versions beyond the retention, fsync the directories, bump the
 *       sidecar's generation and record the version in it with the new file's stamp and hash
 *       (which tell an external edit apart, {@link ExternalEdits}), and stamp the new file for the
 *       token.
 * </ol>
 *
 * <h2>An error is the truth</h2>
 *
 * Everything that can fail for want of space, permissions or a sane directory (steps 4-6) comes
 * before the rename, and an error there removes the temporary files and reports that nothing was
 * stored. After the rename the version is stored and visible, so a failure of step 8 is logged as
 * a warning and the save reports success (the history is secondary; a token without a stamp or a
 * generation the sidecar lacks only costs the next write a read: correctness rests on the file's
 * serial and lineage).
 *
 * <h2>Crashes and progress</h2>
 *
 * A crash at any point leaves the old version or the new one in state.json, and at most a stray
 * temporary file, which the next writer removes under the lock. State holds the sidecar lock across
 * a conflicted write's reload, re-application and save ({@code ExclusiveWrites}); the lock is
 * re-entrant for its holder, so this save takes it again.
 */
final class WholeFileWrite {
  /** Holds the logger, created on first use: a run that logs nothing never starts SLF4J. */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(FileBackend.class);
  }

  private final WholeFileStore store;
  private final StateParts parts;
  private volatile boolean cleanedTemps;
  /** The entries of the last state encoded for a save: the next save encodes only what changed. */
  private final EntryEncodings encodings = new EntryEncodings();

  WholeFileWrite(WholeFileStore store) {
    this.store = store;
    this.parts = store.parts;
  }

  /**
   * Saves; {@code accepted} is null for a save, or who accepts an external edit: the request then
   * stores the edit itself, whatever the policy. A save on top of an external edit records the
   * edit in the history first (or refuses, by the policy).
   */
  SaveResult save(SaveRequest request, AuditEntry accepted) {
    Snapshot next = request.snapshot();
    EncodedState bytes = EncodedState.of(next, parts.form, encodings);
    StateFiles.checkWriteSize(parts.file, bytes.size(), parts.maxSize);
    try {
      parts.prepareWrite();
    } catch (IOException e) {
      throw store.io("write", e);
    }
    SaveResult.Saved saved = null;
    try (Sidecar.Held held = store.sidecar.lock()) {
      long generation = store.sidecar.generation();
      FileStamp current = FileStamp.of(parts.file);
      VersionToken expected = request.expected();
      ExternalEdits.Found edit = null;
      if (!expected.exists()) {
        if (current != null) {
          return new SaveResult.Conflict(Optional.of(store.decodeCurrent(current, generation)));
        }
        if (store.checkNotLost(store.sidecar.mark())) {
          throw parts.appeared();
        }
        store.checkNotJournaled(-1, "");
      } else if (current == null) {
        throw store.lost();
      } else if (expected instanceof FileVersion fv && fv.unchanged(current, generation)) {
        // unchanged, so not decoded (decoding checks the journal): check it here
        store.checkNotJournaled(expected.serial(), expected.lineage());
      } else {
        StoredState stored = store.decodeCurrent(current, generation);
        if (stored.token() instanceof ExternalEdits.ExternalVersion ev) {
          edit = ev.found();
          if (accepted == null) {
            store.external.checkPolicy(edit);
          }
        }
        if (!VersionToken.sameVersion(stored.token(), expected) || !ExternalEdits.sameEdit(stored.token(), expected)) {
          return new SaveResult.Conflict(Optional.of(stored));
        }
      }
      boolean acceptingEdit = edit != null && accepted != null; // a failed record may have left its entry
      if (store.historyHolds(next.metadata().serial()) && !acceptingEdit) {
        // a version kept from another lineage, or one a deleted state file left: never replaced
        throw parts.older(expected.serial(), next.metadata().serial(), parts.historyDir + " holds it", store.lostHint());
      }
      if (!cleanedTemps) {
        DurableFiles.removeStaleTemps(parts.dir, parts.historyDir, parts.name, p -> false);
        cleanedTemps = true;
      }
      if (edit != null && accepted == null) {
        store.external.record(edit, store.retention, null); // the edit is a version of its own, before this one
      }
      long serial = next.metadata().serial();
      Path tmp = DurableFiles.writeTemp(parts.dir, "." + parts.name + ".", bytes);
      Path historyTmp = null;
      Path auditTmp = null;
      try {
        if (store.retention > 0) {
          StateParts.sidecarDirectory(parts.historyDir);
          historyTmp = DurableFiles.linkTemp(tmp, HistoryFiles.file(parts.historyDir, serial, ".json"));
          auditTmp = DurableFiles.writeTemp(parts.historyDir, "." + HistoryFiles.baseName(serial) + ".", HistoryFiles.encodeAudit(request, parts.form));
        }
        if (current != null) {
          DurableFiles.linkReplacing(parts.file, parts.backup);
        }
        store.faults.at(SaveFaults.Step.BEFORE_PUBLISH);
        Files.move(tmp, parts.file, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException | RuntimeException e) {
        DurableFiles.deleteQuietly(tmp);
        DurableFiles.deleteQuietly(historyTmp);
        DurableFiles.deleteQuietly(auditTmp);
        throw e;
      }
      // Published: from here on, a failure is a warning (see the class comment).
      FileStamp stamp = afterPublishing(serial, next.metadata().lineage(), historyTmp, auditTmp, generation + 1, bytes);
      saved = new SaveResult.Saved(new FileVersion(serial, next.metadata().lineage(), stamp, generation + 1));
    } catch (IOException e) {
      if (saved == null) {
        throw store.io("write", e);
      }
      Log.LOG.warn("Version {} of {} is stored, but releasing its write lock failed: {}", next.metadata().serial(), parts.file, e.toString());
    }
    return saved;
  }

  /**
   * The steps after the rename: completes the history entry, prunes, makes the renames durable and
   * bumps the sidecar's generation and stamps the new file. Failures are logged, never thrown: the
   * version is stored. Returns the stamp, or null if the file could not be stamped.
   */
  private FileStamp afterPublishing(long serial, String lineage, Path historyTmp, Path auditTmp, long newGeneration,
      EncodedState bytes) {
    try {
      store.faults.at(SaveFaults.Step.AFTER_PUBLISH);
      if (historyTmp != null) {
        Files.move(historyTmp, HistoryFiles.file(parts.historyDir, serial, ".json"), StandardCopyOption.ATOMIC_MOVE);
        Files.move(auditTmp, HistoryFiles.file(parts.historyDir, serial, ".audit.json"), StandardCopyOption.ATOMIC_MOVE);
        prune(serial);
      }
    } catch (IOException | RuntimeException e) {
      DurableFiles.deleteQuietly(historyTmp);
      DurableFiles.deleteQuietly(auditTmp);
      Log.LOG.warn("Version {} of {} is stored, but its history entry in {} could not be completed: {}", serial, parts.file, parts.historyDir, e.toString());
    }
    try {
      DurableFiles.fsyncDirectory(parts.dir);
      if (historyTmp != null) {
        DurableFiles.fsyncDirectory(parts.historyDir);
      }
    } catch (IOException | RuntimeException e) {
      Log.LOG.warn("Version {} of {} is stored, but syncing its directory failed: {}", serial, parts.file, e.toString());
    }
    try {
      FileStamp stamp = FileStamp.of(parts.file);
      store.sidecar.setGeneration(newGeneration, serial, lineage, ExternalEdits.base(serial, lineage, stamp, bytes));
      return stamp;
    } catch (IOException | RuntimeException e) {
      Log.LOG.warn("Version {} of {} is stored, but the file could not be stamped: {}", serial, parts.file, e.toString());
      return null;
    }
  }

  /** Removes the versions beyond the retention. */
  private void prune(long newest) throws IOException {
    List<Long> serials = HistoryFiles.serials(parts.historyDir);
    for (long s : serials) {
      if (s <= newest - store.retention) {
        Files.deleteIfExists(HistoryFiles.file(parts.historyDir, s, ".audit.json"));
        Files.deleteIfExists(HistoryFiles.file(parts.historyDir, s, ".json"));
      }
    }
  }
}
