package io.infrastate.file;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.Snapshot;
import io.infrastate.model.VersionInfo;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Journal mode: a durable write appends only the change to {@code <name>.journal} and syncs it, so
 * that its cost does not grow with the state; {@link Compaction} folds the journal back into a
 * plain {@code state.json} once it has grown. The parts: {@link JournalReader} finds the latest
 * version (with {@link Known}, what was last seen), {@link JournalAppender} writes, {@link
 * JournalHistory} reads the history, {@link JournalChannel} holds the journal open for writers.
 *
 * <h2>On disk</h2>
 *
 * state.json is a plain state (serial b). The journal is a header frame {infrastate_journal,
 * base_serial h, lineage} followed by one frame per version written since ({@link JournalCodec}),
 * then zeros kept ahead for the next appends. Records carry consecutive serials h+1, h+2, ...;
 * h &lt;= b. The latest version is state.json with the records whose serial is &gt; b applied in
 * order; records &lt;= b are already in state.json (the creation record, or the journal a crashed
 * compaction did not replace yet) and are skipped. A journal that does not chain on state.json is
 * either stale (all its records are &lt;= b, or they belong to another lineage: state.json was
 * replaced by a person), ignored and set aside on the next write, or it continues a later version
 * than state.json holds (h &gt; b: state.json was replaced by an older copy), which is damage.
 *
 * <h2>A save</h2>
 *
 * Encode the record outside any lock (CPU only, proportional to the change); take the sidecar lock
 * (JVM lock, then the OS lock), which every writer of the state in any process holds for the rest;
 * find the latest version on disk ({@link JournalReader#readDisk}); compare serial and lineage with
 * the expected ones, else return Conflict with the latest version; append ({@link
 * JournalAppender}); remember (snapshot, position, generation, the record's last bytes) as the
 * latest version. State holds the sidecar lock across a conflicted write's reload, re-application
 * and save ({@code ExclusiveWrites}); the lock is re-entrant for its holder.
 *
 * <h2>External edits</h2>
 *
 * A {@code state.json} another tool wrote ({@link ExternalEdits}, found by {@link
 * JournalReader#readFull}) replaces the latest version, the journal's included: a save on top of
 * it first creates a new base from it, with a journal that records it as its own version ({@link
 * JournalAppender#create}), then appends its own; or it refuses, by the policy. Compaction leaves
 * such a state alone: the next write records it.
 *
 * <h2>Concurrency</h2>
 *
 * {@code known} is volatile and only ever replaced by a version of at least the same serial
 * ({@link #remember}), or by what a writer holding the lock wrote or compacted. The journal's
 * channel and the once-per-instance cleanup of temporary files are used under the write lock only.
 */
final class JournalStore extends Store {
  /** Holds the logger, created on first use: a run that logs nothing never starts SLF4J. */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(FileBackend.class);
  }

  final JournalChannel channel;
  private final JournalReader reader;
  private final JournalAppender appender;
  private final Compaction compaction;
  private final JournalHistory history;
  private volatile Known known;
  // Guarded by the sidecar lock:
  private boolean cleanedTemps;

  JournalStore(StateParts parts, int retention, ExternalEditPolicy policy, int compactRecords, long compactBytes, boolean background) {
    super(parts, retention, policy);
    this.channel = new JournalChannel(parts.journal);
    this.reader = new JournalReader(this);
    this.appender = new JournalAppender(this);
    this.compaction = new Compaction(this, reader, appender, compactRecords, compactBytes, background);
    this.history = new JournalHistory(this, reader);
  }

  @Override
  String describe() {
    return "state file " + parts.file + " (journal " + parts.journal + ")";
  }

  Known known() {
    return known;
  }

  void known(Known k) {
    known = k;
  }

  /** Keeps {@code k} as the latest version seen, unless a later one is known already. */
  void remember(Known k) {
    if (k == null || k.state == null) {
      return;
    }
    Known current = known;
    if (current == null || current.state == null || k.serial() >= current.serial()) {
      known = k;
    }
  }

  // ------------------------------------------------------------------ load

  @Override
  Optional<StoredState> read() throws IOException {
    Known k = readRetrying(() -> reader.readDisk(known, false), () -> reader.readDisk(known, true),
        "State " + parts.file + " and its journal changed every time they were read");
    remember(k);
    return Optional.ofNullable(k.state);
  }

  @Override
  boolean unchanged(VersionToken token) throws IOException {
    if (!(token instanceof JournalVersion jv)) {
      return false;
    }
    Known k = known;
    if (k != null && k.state != null && jv.equals(k.token())
        && reader.quiet(k, sidecar.generation(), FileStamp.of(parts.dir), FileStamp.of(parts.file), false)) {
      return true;
    }
    FileStamp j = FileStamp.of(parts.journal);
    return jv.at(FileStamp.of(parts.file), j) && (j == null || reader.nothingAfter(jv.end(), j.size(), j.key(), false));
  }

  @Override
  String lostHint() {
    if (StateParts.exists(parts.backup)) {
      return "Restore it (cp " + parts.backup + " " + parts.file + ", keeping the journal if it exists).";
    }
    try {
      long newest = parts.newestInHistory();
      Path base = HistoryFiles.file(parts.historyDir, newest, ".json");
      if (newest >= 0 && StateParts.exists(base)) {
        return "Restore it (cp " + base + " " + parts.file + ", keeping the journal if it exists).";
      }
    } catch (IOException e) {
      // no hint then
    }
    return "Restore it from a copy, keeping the journal if it exists.";
  }

  // ------------------------------------------------------------------ save

  @Override
  ExternalEdits.Found pendingEdit(StoredState latest) {
    Known k = known; // what load() remembered
    return k != null && k.external != null && k.state == latest ? k.external : null;
  }

  @Override
  SaveResult save(SaveRequest request, AuditEntry accepted) {
    checkOpen();
    Snapshot next = request.snapshot();
    byte[] record = request.expected().exists() && accepted == null ? JournalCodec.record(request, parts.form) : null;
    Known after = null;
    try {
      parts.prepareWrite();
    } catch (IOException e) {
      throw io("write", e);
    }
    try (Sidecar.Held held = sidecar.lock()) {
      checkOpen();
      Known disk = reader.readDisk(known, true);
      VersionToken expected = request.expected();
      if (!expected.exists()) {
        if (disk.state != null) {
          remember(disk);
          return new SaveResult.Conflict(Optional.of(disk.state));
        }
        after = appender.create(request);
      } else {
        if (disk.state == null) {
          throw lost();
        }
        remember(disk);
        if (disk.external != null && accepted == null) {
          external.checkPolicy(disk.external);
        }
        if (!VersionToken.sameVersion(disk.state.token(), expected)
            || (disk.external != null && !(expected instanceof JournalVersion jv && Objects.equals(jv.base(), disk.token().base())))) {
          return new SaveResult.Conflict(Optional.of(disk.state));
        }
        if (disk.external != null) {
          // the edit becomes a version of its own: a new base, with a journal that records it
          SaveRequest edit = new SaveRequest(VersionToken.absent(), disk.external.content(), List.of(),
              external.audit(disk.external, accepted));
          disk = appender.create(edit);
          known = disk;
          if (accepted != null) {
            return new SaveResult.Saved(disk.state.token());
          }
        }
        if (next.metadata().serial() != disk.serial() + 1) {
          throw new BackendException(
              "Refusing to write version " + next.metadata().serial() + " of " + parts.file + " on top of version "
                  + disk.serial() + ": the journal needs consecutive serials. This is a bug in the caller.",
              null,
              false);
        }
        after = appender.append(disk, next, record);
      }
      known = after;
      after = compaction.inlineAfterWrite(after);
    } catch (IOException e) {
      if (after == null) {
        throw io("write", e);
      }
      Log.LOG.warn("Version {} of {} is stored, but releasing its write lock failed: {}", after.serial(), parts.file, e.toString());
    }
    compaction.scheduleAfterWrite(after);
    return new SaveResult.Saved(after.state.token());
  }

  /** Removes temporary files left by writers that crashed; under the lock, once per instance. */
  void removeStaleTemps() throws IOException {
    if (cleanedTemps) {
      return;
    }
    cleanedTemps = true;
    DurableFiles.removeStaleTemps(parts.dir, parts.historyDir, parts.name,
        p -> p.getFileName().toString().startsWith("." + parts.name + ".compact.") && Compaction.compactorAlive(p));
  }

  @Override
  void compact() {
    checkOpen();
    compaction.compact();
  }

  // ------------------------------------------------------------------ history

  @Override
  List<VersionInfo> history(int limit) {
    checkOpen();
    return history.history(limit);
  }

  @Override
  Optional<StoredState> at(long serial) {
    checkOpen();
    return history.at(serial);
  }

  // ------------------------------------------------------------------ lifecycle

  /** Waits for a running compaction (at most a minute) and closes the journal. Does not compact. */
  @Override
  void closing() throws IOException {
    compaction.shutdown();
    if (sidecar.writable()) {
      // the journal's channel is opened under the write lock only: never taken, nothing to close
      try (Sidecar.Held held = sidecar.lock()) {
        channel.close();
      }
    }
  }
}
