package io.infrastate.file;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.Snapshot;
import io.infrastate.model.VersionInfo;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The whole-file mode's reads: the latest version is {@code state.json} alone, each version of the
 * history is {@code <serial>.json} with its audit record beside it. Saves are {@link
 * WholeFileWrite}'s.
 *
 * <h2>Loads</h2>
 *
 * A load reads the sidecar's generation and the file's stamp (inode, size, times), the bytes, then
 * the stamp and the generation again, and retries if anything moved, so that it never pairs one
 * version's bytes with another's stamp (see {@link Store} for the retries).
 *
 * <h2>Damage and loss</h2>
 *
 * An unparsable or empty state.json, one that vanished while any other part of the state survives,
 * or one older than the version the sidecar records as written (or than a version in the
 * history), raises CorruptStateException on load and save, and is never overwritten. The sidecar's
 * record is written after the new version is durable, and read before the state file, so a load
 * never mistakes a write in progress for loss. A journal next to the file holding versions that
 * state.json lacks (journal mode) is refused, not ignored: reading state.json alone would serve an
 * old version, and a write would lose the journal's.
 *
 * <h2>External edits</h2>
 *
 * A state file another tool wrote ({@link ExternalEdits}) loads as the next version, with an
 * {@link ExternalEdits.ExternalVersion} token; nothing is written on load. {@link WholeFileWrite}
 * records it in the history before the version a save publishes, or refuses the save.
 */
final class WholeFileStore extends Store {
  private final WholeFileWrite write;

  WholeFileStore(StateParts parts, int retention, ExternalEditPolicy policy) {
    super(parts, retention, policy);
    this.write = new WholeFileWrite(this);
  }

  @Override
  String describe() {
    return "state file " + parts.file;
  }

  // ------------------------------------------------------------------ load

  @Override
  Optional<StoredState> read() throws IOException {
    return readRetrying(this::readUnlocked, () -> Optional.ofNullable(readLocked()),
        "State file " + parts.file + " was replaced by other writers every time it was read");
  }

  /** One read without a lock: the latest version, empty if none, null if a writer moved it meanwhile. */
  private Optional<StoredState> readUnlocked() throws IOException {
    Sidecar.Reading before = sidecar.read();
    Sidecar.Mark mark = before.mark();
    long gen1 = before.generation();
    FileStamp s1 = FileStamp.of(parts.file);
    if (s1 == null) {
      if (checkNotLost(mark)) {
        return null; // a writer created it meanwhile
      }
      return Optional.empty();
    }
    Snapshot s;
    ExternalEdits.Found edit;
    try {
      s = parts.decode(parts.file, parts::recoveryHint);
      edit = external.detect(s, s1, before.base(), mark, () -> null);
    } catch (NoSuchFileException e) {
      return null; // a writer replaced the state file while it was read or hashed: read again
    }
    // Before the second stamp: a writer renames the state file before it links the history, so a
    // newer version seen in the history while the file stayed the same is a real one.
    Runnable older = edit != null ? () -> {} : olderThan(s, mark);
    FileStamp s2 = FileStamp.of(parts.file);
    long gen2 = sidecar.generation();
    if (s1.equals(s2) && gen1 == gen2) {
      checkNotJournaled(s.metadata().serial(), s.metadata().lineage());
      older.run();
      return Optional.of(edit != null ? edit.stored(s1, gen1) : stored(s, s1, gen1));
    }
    return null;
  }

  @Override
  boolean unchanged(VersionToken known) throws IOException {
    return known instanceof FileVersion fv && fv.unchanged(FileStamp.of(parts.file), sidecar.generation());
  }

  /** Reads and parses the file; the caller holds the lock (shared or not). Returns null if there is none. */
  private StoredState readLocked() throws IOException {
    Sidecar.Mark mark = sidecar.mark();
    FileStamp stamp = FileStamp.of(parts.file);
    if (stamp == null) {
      if (checkNotLost(mark)) {
        throw parts.appeared();
      }
      return null;
    }
    return decode(stamp, sidecar.generation(), mark);
  }

  /** Reads, parses and checks the file as it is now; the caller holds the write lock. */
  StoredState decodeCurrent(FileStamp stamp, long generation) throws IOException {
    return decode(stamp, generation, sidecar.mark());
  }

  /** Reads, parses and checks the file; the caller holds the lock. */
  private StoredState decode(FileStamp stamp, long generation, Sidecar.Mark mark) throws IOException {
    Sidecar.Base base = sidecar.base();
    Snapshot s = parts.decode(parts.file, parts::recoveryHint);
    checkNotJournaled(s.metadata().serial(), s.metadata().lineage());
    ExternalEdits.Found edit = external.detect(s, stamp, base, mark, () -> null);
    if (edit != null) {
      return edit.stored(stamp, generation);
    }
    olderThan(s, mark).run();
    return stored(s, stamp, generation);
  }

  private static StoredState stored(Snapshot s, FileStamp stamp, long generation) {
    return new StoredState(s, new FileVersion(s.metadata().serial(), s.metadata().lineage(), stamp, generation));
  }

  /**
   * What to throw if versions later than {@code s} were written (recorded in the write lock
   * sidecar, or kept in the history): the state file was deleted and restored, or replaced by an
   * older copy, and a write would reuse their serials. A no-op if none were.
   */
  private Runnable olderThan(Snapshot s, Sidecar.Mark mark) throws IOException {
    long serial = s.metadata().serial();
    String lineage = s.metadata().lineage();
    if (mark != null && mark.after(serial, lineage)) {
      CorruptStateException e = parts.older(serial, mark.serial(), parts.writelock + " records it", lostHint());
      return () -> {
        throw e;
      };
    }
    if (serial < Long.MAX_VALUE && historyHolds(serial + 1)) {
      CorruptStateException e = parts.older(serial, serial + 1, parts.historyDir + " holds it", lostHint());
      return () -> {
        throw e;
      };
    }
    return () -> {};
  }

  /** Whether the history holds a version with this serial (of this lineage or another). */
  boolean historyHolds(long serial) {
    return StateParts.exists(HistoryFiles.file(parts.historyDir, serial, ".json"))
        || StateParts.exists(HistoryFiles.file(parts.historyDir, serial, ".audit.json"));
  }

  /**
   * Refuses a state whose latest versions are in a journal next to it (written in journal mode):
   * this mode reads state.json alone, so it would serve an old version and a write would lose the
   * journal's versions.
   */
  void checkNotJournaled(long baseSerial, String lineage) throws IOException {
    if (!Files.exists(parts.journal, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    byte[] bytes;
    try {
      bytes = StateFiles.read(parts.journal, parts.maxSize);
    } catch (NoSuchFileException e) {
      return;
    }
    JournalCodec.Scan scan = JournalCodec.scan(bytes, 0, true, parts.form);
    long last = -1;
    for (JournalCodec.Entry e : scan.entries) {
      String l = e.metadata().lineage();
      if (lineage.isEmpty() || l.isEmpty() || l.equals(lineage)) {
        last = Math.max(last, e.serial());
      }
    }
    String journalMode = ", and the whole-file mode reads " + parts.name + " alone. Open it in journal mode"
        + " (FileBackend.builder(path).journal(true), or the URI " + parts.file.toUri() + "?journal=true), or fold the"
        + " journal in with compact() in journal mode first. Nothing was read or written.";
    if (scan.damage != null) {
      throw new CorruptStateException(parts.journal.toString(), null,
          "State " + parts.file + " is in journal mode: " + parts.journal + " is damaged (" + scan.damage + ")" + journalMode, null);
    }
    if (last > baseSerial) {
      Sidecar.Mark mark = sidecar.mark();
      if (mark != null && mark.after(last, lineage.isEmpty() ? scan.entries.get(scan.entries.size() - 1).metadata().lineage() : lineage)) {
        throw parts.older(last, mark.serial(), parts.writelock + " records it; the journal " + parts.journal + " ends at version " + last,
            lostHint());
      }
      throw new BackendException(
          "State " + parts.file + " is in journal mode: " + parts.journal + " holds versions up to " + last + " that " + parts.name
              + " does not contain" + journalMode,
          null,
          false);
    }
  }

  /** How to restore the state file: from the newest version kept. */
  @Override
  String lostHint() throws IOException {
    long newest = parts.newestInHistory();
    Path kept = HistoryFiles.file(parts.historyDir, newest, ".json");
    if (newest >= 0 && StateParts.exists(kept)) {
      return "Restore the newest version kept (cp " + kept + " " + parts.file + ").";
    }
    if (StateParts.exists(parts.backup)) {
      return "Restore the previous version (cp " + parts.backup + " " + parts.file + ").";
    }
    return "Restore the state file from a copy.";
  }

  // ------------------------------------------------------------------ save

  @Override
  SaveResult save(SaveRequest request, AuditEntry accepted) {
    checkOpen();
    return write.save(request, accepted);
  }

  @Override
  ExternalEdits.Found pendingEdit(StoredState latest) {
    return latest.token() instanceof ExternalEdits.ExternalVersion ev ? ev.found() : null;
  }

  @Override
  void compact() {
    throw new IllegalStateException("compact() folds a journal into " + parts.file + ", and this FileBackend is in"
        + " whole-file mode, which keeps none: build it with journal(true) to compact a journal.");
  }

  // ------------------------------------------------------------------ history

  @Override
  List<VersionInfo> history(int limit) {
    checkOpen();
    try {
      StateParts.checkSidecarDirectory(parts.historyDir);
      List<Long> serials = HistoryFiles.serials(parts.historyDir);
      serials.sort(Comparator.reverseOrder());
      List<VersionInfo> out = new ArrayList<>();
      for (long s : serials) {
        if (out.size() >= limit) {
          break;
        }
        HistoryFiles.readAudit(HistoryFiles.file(parts.historyDir, s, ".audit.json"), s, parts.maxSize, parts.form).ifPresent(out::add);
      }
      return out;
    } catch (IOException e) {
      throw io("read the history of", e);
    }
  }

  @Override
  Optional<StoredState> at(long serial) {
    checkOpen();
    Path p = HistoryFiles.file(parts.historyDir, serial, ".json");
    try {
      StateParts.checkSidecarDirectory(parts.historyDir);
      Snapshot s = parts.decode(p, () -> "");
      return Optional.of(new StoredState(s, VersionToken.of(s.metadata().serial(), s.metadata().lineage())));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw io("read the history of", e);
    }
  }
}
