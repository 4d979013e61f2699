package io.infrastate.file;

import io.infrastate.BackendException;
import io.infrastate.CorruptStateException;
import io.infrastate.Snapshot;
import io.infrastate.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.AuditEntry;
import io.infrastate.ExternalEdit;
import io.infrastate.ExternalEditPolicy;
import io.infrastate.spi.ExclusiveWrites;
import io.infrastate.spi.ExternalEditBackend;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores a state in a local file, atomically and durably, with a backup and a bounded history, and
 * with compare-and-swap across threads and processes.
 *
 * <pre>{@code
 * try (FileBackend backend = FileBackend.at(Path.of("state.json"));
 *      State state = State.load(backend)) {
 *   state.addHost(HostState.builder("web01").address("10.0.0.5").build());
 * }
 * }</pre>
 *
 * <h2>Files</h2>
 *
 * Next to {@code state.json} (any name):
 *
 * <ul>
 *   <li>{@code state.json} — the state, in the Go-FTL2 format ({@link StateCodec}), mode 0600.
 *   <li>{@code state.json.backup} — the previous version (as Terraform keeps {@code
 *       terraform.tfstate.backup}).
 *   <li>{@code state.json.history/} — the last {@link Builder#historyRetention(int)} versions (20 by
 *       default): {@code <serial>.json} and {@code <serial>.audit.json} (who, what, why, when).
 *   <li>{@code state.json.writelock} — the sidecar whose OS lock serializes writers, created by
 *       the first write; it also records the last version written, so that a state file deleted
 *       or replaced by an older copy is noticed, and a hash of the state file written, so that an
 *       edit by another tool is recorded as a version of its own ({@link Builder#externalEdits}).
 *       Never delete it while processes use the state.
 * </ul>
 *
 * <p>A symbolic link at the state file's path is followed once, when the backend is built: the
 * state is written where it points and the link is kept; a link to a file that does not exist is
 * loss, not a new state. Nothing else beside the state is read or written through a link, and only
 * regular files are read (see {@link StateParts} and {@link StateFiles}).
 *
 * <p>Reading is harmless: building the backend and loading create nothing (no directory, no
 * {@code .writelock}) and take no write lock, so a user with read permission only, or a read-only
 * file system, can read the state. The first write creates the sidecar; a missing directory is
 * created only if {@link Builder#createDirectories(boolean)} asks for it.
 *
 * <p>Instances are thread-safe; several {@code State} handles, threads and processes may share one
 * file. Close the backend when done (it releases the sidecar's channel).
 */
public final class FileBackend implements HistoryBackend, ExclusiveWrites, ExternalEditBackend {
  /*
   * Design notes: how a save stays atomic, durable and conflict-free.
   *
   * save(expected, snapshot):
   *   1. Encode the snapshot, in chunks (EncodedState), outside any lock: CPU only.
   *   2. Take the sidecar lock: a per-JVM ReentrantLock, then an OS lock (fcntl) on the sidecar.
   *      Every writer of this file, in any process, holds it for steps 3-8; readers never take it.
   *   3. Compare-and-swap check. Fast path: the file's stamp (inode, size, mtime, ctime) and the
   *      sidecar's write generation equal those in the expected token -> unchanged, nothing is
   *      read. Otherwise the file is parsed (damage raises CorruptStateException: stop, nothing
   *      written) and its serial and lineage are compared with the expected ones; a mismatch
   *      returns Conflict with the parsed state, so the caller need not read it again.
   *   4. Write a temporary file in the same directory, created exclusively (O_CREAT|O_EXCL: never
   *      follows a symlink planted at its random name) with mode 0600, and fsync it.
   *   5. Prepare the history: hard-link the temporary file under a temporary name in history/ and
   *      write the audit record to another (fsynced).
   *   6. Hard-link the current file as the backup (via a temporary name and a rename), so the
   *      backup costs no copy: versions are never modified in place, only replaced.
   *   7. rename(2) the temporary file over the state file: atomic, so a reader or a crash sees the
   *      old or the new version, never a mix. This publishes the version.
   *   8. Rename the history's temporary files to <serial>.json and <serial>.audit.json, prune
   *      versions beyond the retention, fsync the directory (and the history directory), bump the
   *      sidecar's generation and stamp the new file for the token.
   *
   * An error is the truth: everything that can fail for want of space, permissions or a sane
   * directory (steps 4-6) comes before the rename, and an error there removes the temporary files
   * and reports that nothing was stored. After the rename the version is stored and visible, so a
   * failure of step 8 is logged as a warning and the save reports success (the history is
   * secondary; a token without a stamp or a generation the sidecar lacks only costs the next
   * write a read: correctness rests on the file's serial and lineage).
   *
   * Progress (ExclusiveWrites): State holds the sidecar lock across a conflicted write's reload,
   * re-application and save; the lock is re-entrant for its holder, so this save takes it again.
   *
   * A crash at any point leaves the old version or the new one in state.json, and at most a stray
   * temporary file, which the next writer removes under the lock. Loads take no write lock: they
   * read the generation and stamp, the bytes, then the stamp and generation again, and retry if
   * anything moved, so a load never pairs one version's bytes with another's stamp; after 8 lost
   * races they read under a shared lock on the sidecar (if it exists and may be read).
   *
   * Stop on damage and loss: an unparsable or empty state.json, one that vanished while any other
   * part of the state survives, or one older than the version the sidecar records as written (or
   * than a version in the history), raises CorruptStateException on load and save, and is never
   * overwritten. The sidecar's record is written after the new version is durable, and read before
   * the state file, so a load never mistakes a write in progress for loss.
   *
   * External edits: the sidecar also records what step 8 left as the state file (serial, lineage,
   * stamp, SHA-256). A state file written by another tool is loaded as the next version and
   * recorded in the history before the next save publishes its own (ExternalEdits); loads write
   * nothing, and the checks of loss and damage above apply to everything else as before.
   */

  /**
   * Holds the logger, created on first use: a run that logs nothing never starts SLF4J (about 20 ms
   * of a command-line tool's first load, and its warning when no provider is installed).
   */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(FileBackend.class);
  }

  private static final int LOAD_ATTEMPTS = 8;
  /** Loads that lost the race this often without a shared lock to take give up (retryable). */
  private static final int MAX_LOAD_ATTEMPTS = 200;

  private final StateParts parts;
  private final Path file;
  private final Path dir;
  private final String name;
  private final Path backup;
  private final Path historyDir;
  private final Path journal;
  private final int retention;
  private final Sidecar sidecar;
  private final ExternalEdits external;
  /** Faults injected by tests; {@link SaveFaults#NONE} otherwise. */
  volatile SaveFaults faults = SaveFaults.NONE;
  private volatile boolean cleanedTemps;
  private volatile boolean closed;

  private FileBackend(Builder b) throws IOException {
    this.parts = StateParts.of(b.path, b.create, b.maxStateSize);
    this.file = parts.file;
    this.dir = parts.dir;
    this.name = parts.name;
    this.backup = parts.backup;
    this.historyDir = parts.historyDir;
    this.journal = parts.journal;
    this.retention = b.retention;
    this.sidecar = Sidecar.acquire(parts.writelock);
    this.external = new ExternalEdits(parts, b.externalEdits);
  }

  /**
   * A backend for the state file at {@code path} with default settings. The file need not exist,
   * but its directory must (see {@link Builder#createDirectories(boolean)}). Building reads and
   * creates nothing.
   *
   * @param path the state file, such as {@code state.json}
   * @return a new backend; close it when done
   * @throws BackendException if the path is a directory or a chain of too many links
   */
  public static FileBackend at(Path path) {
    return builder(path).build();
  }

  /**
   * Starts a builder for the state file at {@code path}.
   *
   * @param path the state file
   * @return a new builder
   */
  public static Builder builder(Path path) {
    return new Builder(path);
  }

  /**
   * The state file.
   *
   * @return its absolute path
   */
  public Path path() {
    return file;
  }

  /**
   * The backup file holding the previous version.
   *
   * @return {@code <name>.backup} next to the state file
   */
  public Path backupPath() {
    return backup;
  }

  /**
   * The directory holding the bounded history.
   *
   * @return {@code <name>.history} next to the state file
   */
  public Path historyPath() {
    return historyDir;
  }

  @Override
  public String location() {
    return file.toString();
  }

  // ------------------------------------------------------------------ load

  @Override
  public Optional<StoredState> load() {
    checkOpen();
    try {
      if (!parts.directoryReady()) {
        return Optional.empty();
      }
      for (int attempt = 0; attempt < MAX_LOAD_ATTEMPTS; attempt++) {
        if (attempt == LOAD_ATTEMPTS) {
          // Writers kept replacing the file while we read it: read under a shared lock, if the
          // sidecar exists and may be read; else keep trying, a little slower each time.
          try (Sidecar.Held held = sidecar.lockShared()) {
            if (held != null) {
              return Optional.ofNullable(readLocked());
            }
          }
        }
        if (attempt > LOAD_ATTEMPTS) {
          pause(attempt - LOAD_ATTEMPTS);
        }
        Sidecar.Reading before = sidecar.read();
        Sidecar.Mark mark = before.mark();
        long gen1 = before.generation();
        FileStamp s1 = FileStamp.of(file);
        if (s1 == null) {
          if (checkNotLost(mark)) {
            continue; // a writer created it meanwhile
          }
          return Optional.empty();
        }
        Snapshot s;
        try {
          s = parts.decode(file, parts::recoveryHint);
        } catch (NoSuchFileException e) {
          continue;
        }
        // Before the second stamp: a writer renames the state file before it links the history,
        // so a newer version seen in the history while the file stayed the same is a real one.
        ExternalEdits.Found edit = external.detect(s, s1, before.base(), mark, () -> null);
        Runnable older = edit != null ? () -> {} : olderThan(s, mark);
        FileStamp s2 = FileStamp.of(file);
        long gen2 = sidecar.generation();
        if (s1.equals(s2) && gen1 == gen2) {
          checkNotJournaled(s.metadata().serial(), s.metadata().lineage());
          older.run();
          return Optional.of(edit != null ? edit.stored(s1, gen1) : stored(s, s1, gen1));
        }
      }
      throw new BackendException(
          "State file " + file + " was replaced by other writers every time it was read (" + MAX_LOAD_ATTEMPTS
              + " attempts). Retry when writes are less frequent.",
          null,
          true);
    } catch (IOException e) {
      throw io("read", e);
    }
  }

  private static void pause(int round) {
    try {
      Thread.sleep(Math.min(round, 20));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException("Interrupted while reading a state file", e, true);
    }
  }

  @Override
  public Optional<StoredState> loadIfChanged(VersionToken known) {
    checkOpen();
    if (known instanceof FileVersion fv) {
      try {
        if (fv.unchanged(FileStamp.of(file), sidecar.generation())) {
          return Optional.empty();
        }
      } catch (IOException e) {
        throw io("read", e);
      }
    }
    Optional<StoredState> latest = load();
    if (latest.isEmpty()) {
      if (known.exists()) {
        throw lost();
      }
      return Optional.empty();
    }
    VersionToken now = latest.get().token();
    return VersionToken.sameVersion(now, known) && ExternalEdits.sameEdit(now, known) ? Optional.empty() : latest;
  }

  /** Reads and parses the file; the caller holds the lock (shared or not). Returns null if there is none. */
  private StoredState readLocked() throws IOException {
    Sidecar.Mark mark = sidecar.mark();
    FileStamp stamp = FileStamp.of(file);
    if (stamp == null) {
      if (checkNotLost(mark)) {
        throw parts.appeared();
      }
      return null;
    }
    return decode(stamp, sidecar.generation(), mark);
  }

  /** Reads, parses and checks the file; the caller holds the lock. */
  private StoredState decode(FileStamp stamp, long generation, Sidecar.Mark mark) throws IOException {
    Sidecar.Base base = sidecar.base();
    Snapshot s = parts.decode(file, parts::recoveryHint);
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
      CorruptStateException e = parts.older(serial, mark.serial(), parts.writelock + " records it", restoreHint());
      return () -> {
        throw e;
      };
    }
    if (serial < Long.MAX_VALUE && historyHolds(serial + 1)) {
      CorruptStateException e = parts.older(serial, serial + 1, historyDir + " holds it", restoreHint());
      return () -> {
        throw e;
      };
    }
    return () -> {};
  }

  /** Whether the history holds a version with this serial (of this lineage or another). */
  private boolean historyHolds(long serial) {
    String base = HistoryFiles.baseName(serial);
    return StateParts.exists(historyDir.resolve(base + ".json")) || StateParts.exists(historyDir.resolve(base + ".audit.json"));
  }

  /**
   * Refuses a state whose latest versions are in a journal next to it (written by {@link
   * JournalFileBackend}): this class reads state.json alone, so it would serve an old version and
   * a write would lose the journal's versions.
   */
  private void checkNotJournaled(long baseSerial, String lineage) throws IOException {
    if (!Files.exists(journal, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    byte[] bytes;
    try {
      bytes = StateFiles.read(journal, parts.maxSize);
    } catch (NoSuchFileException e) {
      return;
    }
    JournalCodec.Scan scan = JournalCodec.scan(bytes, 0, true);
    long last = -1;
    for (JournalCodec.Entry e : scan.entries) {
      String l = e.metadata().lineage();
      if (lineage.isEmpty() || l.isEmpty() || l.equals(lineage)) {
        last = Math.max(last, e.serial());
      }
    }
    String journalMode = ", and FileBackend reads " + name + " alone. Open it in journal mode (JournalFileBackend, or the URI "
        + file.toUri() + "?journal=true), or fold the journal in with JournalFileBackend.compact() first."
        + " Nothing was read or written.";
    if (scan.damage != null) {
      throw new CorruptStateException(journal.toString(), null,
          "State " + file + " is in journal mode: " + journal + " is damaged (" + scan.damage + ")" + journalMode, null);
    }
    if (last > baseSerial) {
      Sidecar.Mark mark = sidecar.mark();
      if (mark != null && mark.after(last, lineage.isEmpty() ? scan.entries.get(scan.entries.size() - 1).metadata().lineage() : lineage)) {
        throw parts.older(last, mark.serial(), parts.writelock + " records it; the journal " + journal + " ends at version " + last,
            restoreHint());
      }
      throw new BackendException(
          "State " + file + " is in journal mode: " + journal + " holds versions up to " + last + " that " + name
              + " does not contain" + journalMode,
          null,
          false);
    }
  }

  /** How to restore the state file: from the newest version kept. */
  private String restoreHint() throws IOException {
    long newest = parts.newestInHistory();
    if (newest >= 0 && StateParts.exists(historyDir.resolve(HistoryFiles.baseName(newest) + ".json"))) {
      return "Restore the newest version kept (cp " + historyDir.resolve(HistoryFiles.baseName(newest) + ".json") + " " + file + ").";
    }
    if (StateParts.exists(backup)) {
      return "Restore the previous version (cp " + backup + " " + file + ").";
    }
    return "Restore the state file from a copy.";
  }

  /** Whether the state file exists again (read again); throws if parts of a lost state survive. */
  private boolean checkNotLost(Sidecar.Mark mark) throws IOException {
    return parts.checkNothingSurvives(mark, restoreHint());
  }

  private CorruptStateException lost() {
    try {
      java.util.List<String> survivors = parts.survivors(sidecar.mark());
      return parts.lost(survivors.isEmpty() ? java.util.List.of("nothing else") : survivors, restoreHint());
    } catch (IOException e) {
      return parts.lost(java.util.List.of("(could not list what survives: " + e + ")"), "");
    }
  }

  // ------------------------------------------------------------------ save

  @Override
  public SaveResult save(SaveRequest request) {
    return save(request, null);
  }

  /**
   * Saves; {@code accepted} is null for a save, or who accepts an external edit ({@link
   * #acceptExternalEdit}): the request then stores the edit itself, whatever the policy.
   */
  private SaveResult save(SaveRequest request, AuditEntry accepted) {
    checkOpen();
    Snapshot next = request.snapshot();
    EncodedState bytes = EncodedState.of(next);
    StateFiles.checkWriteSize(file, bytes.size(), parts.maxSize);
    try {
      parts.prepareWrite();
    } catch (IOException e) {
      throw io("write", e);
    }
    SaveResult.Saved saved = null;
    try (Sidecar.Held held = sidecar.lock()) {
      long generation = sidecar.generation();
      FileStamp current = FileStamp.of(file);
      VersionToken expected = request.expected();
      ExternalEdits.Found edit = null;
      if (!expected.exists()) {
        if (current != null) {
          return new SaveResult.Conflict(Optional.of(decodeCurrent(current, generation)));
        }
        if (checkNotLost(sidecar.mark())) {
          throw parts.appeared();
        }
        checkNotJournaled(-1, "");
      } else if (current == null) {
        throw lost();
      } else if (expected instanceof FileVersion fv && fv.unchanged(current, generation)) {
        // unchanged, so not decoded (decoding checks the journal): check it here
        checkNotJournaled(expected.serial(), expected.lineage());
      } else {
        StoredState stored = decodeCurrent(current, generation);
        if (stored.token() instanceof ExternalEdits.ExternalVersion ev) {
          edit = ev.found();
          if (accepted == null) {
            external.checkPolicy(edit);
          }
        }
        if (!VersionToken.sameVersion(stored.token(), expected) || !ExternalEdits.sameEdit(stored.token(), expected)) {
          return new SaveResult.Conflict(Optional.of(stored));
        }
      }
      boolean acceptingEdit = edit != null && accepted != null; // a failed record may have left its entry
      if (historyHolds(next.metadata().serial()) && !acceptingEdit) {
        // a version kept from another lineage, or one a deleted state file left: never replaced
        throw parts.older(expected.serial(), next.metadata().serial(), historyDir + " holds it", restoreHint());
      }
      if (!cleanedTemps) {
        removeStaleTemps();
        cleanedTemps = true;
      }
      if (edit != null && accepted == null) {
        external.record(edit, retention, null); // the edit is a version of its own, before this one
      }
      long serial = next.metadata().serial();
      Path tmp = DurableFiles.writeTemp(dir, "." + name + ".", bytes);
      Path historyTmp = null;
      Path auditTmp = null;
      try {
        if (retention > 0) {
          StateParts.sidecarDirectory(historyDir);
          String base = HistoryFiles.baseName(serial);
          historyTmp = DurableFiles.linkTemp(tmp, historyDir.resolve(base + ".json"));
          auditTmp = DurableFiles.writeTemp(historyDir, "." + base + ".", HistoryFiles.encodeAudit(request));
        }
        if (current != null) {
          DurableFiles.linkReplacing(file, backup);
        }
        faults.at(SaveFaults.Step.BEFORE_PUBLISH);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException | RuntimeException e) {
        DurableFiles.deleteQuietly(tmp);
        DurableFiles.deleteQuietly(historyTmp);
        DurableFiles.deleteQuietly(auditTmp);
        throw e;
      }
      // Published: from here on, a failure is a warning (see the design notes).
      FileStamp stamp = afterPublishing(serial, next.metadata().lineage(), historyTmp, auditTmp, generation + 1, bytes);
      saved = new SaveResult.Saved(new FileVersion(serial, next.metadata().lineage(), stamp, generation + 1));
    } catch (IOException e) {
      if (saved == null) {
        throw io("write", e);
      }
      Log.LOG.warn("Version {} of {} is stored, but releasing its write lock failed: {}", next.metadata().serial(), file, e.toString());
    }
    return saved;
  }

  /**
   * The steps after the rename: completes the history entry, prunes, makes the renames durable and
   * bumps the sidecar's generation and stamps the new file. Failures are logged, never thrown: the
   * version is stored. Returns the stamp, or null if the file could not be stamped.
   */
  private FileStamp afterPublishing(long serial, String lineage, Path historyTmp, Path auditTmp, long newGeneration, EncodedState bytes) {
    try {
      faults.at(SaveFaults.Step.AFTER_PUBLISH);
      if (historyTmp != null) {
        String base = HistoryFiles.baseName(serial);
        Files.move(historyTmp, historyDir.resolve(base + ".json"), StandardCopyOption.ATOMIC_MOVE);
        Files.move(auditTmp, historyDir.resolve(base + ".audit.json"), StandardCopyOption.ATOMIC_MOVE);
        prune(serial);
      }
    } catch (IOException | RuntimeException e) {
      DurableFiles.deleteQuietly(historyTmp);
      DurableFiles.deleteQuietly(auditTmp);
      Log.LOG.warn("Version {} of {} is stored, but its history entry in {} could not be completed: {}", serial, file, historyDir, e.toString());
    }
    try {
      DurableFiles.fsyncDirectory(dir);
      if (historyTmp != null) {
        DurableFiles.fsyncDirectory(historyDir);
      }
    } catch (IOException | RuntimeException e) {
      Log.LOG.warn("Version {} of {} is stored, but syncing its directory failed: {}", serial, file, e.toString());
    }
    try {
      FileStamp stamp = FileStamp.of(file);
      sidecar.setGeneration(newGeneration, serial, lineage, ExternalEdits.base(serial, lineage, stamp, bytes));
      return stamp;
    } catch (IOException | RuntimeException e) {
      Log.LOG.warn("Version {} of {} is stored, but the file could not be stamped: {}", serial, file, e.toString());
      return null;
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Takes the sidecar's lock (the one every save takes) for the calling thread.
   */
  @Override
  public Optional<Section> exclusive() {
    checkOpen();
    Sidecar.Held held;
    try {
      held = sidecar.lock();
    } catch (IOException e) {
      throw io("lock", e);
    }
    return Optional.of(() -> {
      try {
        held.close();
      } catch (IOException e) {
        throw io("unlock", e);
      }
    });
  }

  private StoredState decodeCurrent(FileStamp stamp, long generation) throws IOException {
    return decode(stamp, generation, sidecar.mark());
  }

  private void prune(long newest) throws IOException {
    List<Long> serials = HistoryFiles.serials(historyDir);
    for (long s : serials) {
      if (s <= newest - retention) {
        String base = HistoryFiles.baseName(s);
        Files.deleteIfExists(historyDir.resolve(base + ".audit.json"));
        Files.deleteIfExists(historyDir.resolve(base + ".json"));
      }
    }
  }

  private void removeStaleTemps() throws IOException {
    for (Path d : new Path[] {dir, historyDir}) {
      if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(d, ".*.tmp")) {
        for (Path p : stream) {
          String n = p.getFileName().toString();
          if (n.startsWith("." + name + ".") || d.equals(historyDir)) {
            Log.LOG.info("Removing {} left by a writer that crashed", p);
            Files.deleteIfExists(p);
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------ external edits

  @Override
  public ExternalEditPolicy externalEditPolicy() {
    return external.policy();
  }

  /**
   * {@inheritDoc}
   *
   * <p>A state file is an external edit when it holds the serial and lineage this backend last
   * wrote with other bytes, or no serial and lineage where a lineage stood (see {@code
   * docs/external-edits.md}).
   */
  @Override
  public Optional<ExternalEdit> externalEdit() {
    return load().map(StoredState::token)
        .filter(t -> t instanceof ExternalEdits.ExternalVersion)
        .map(t -> external.describe(((ExternalEdits.ExternalVersion) t).found()));
  }

  @Override
  public Optional<VersionInfo> acceptExternalEdit(AuditEntry audit) {
    checkOpen();
    for (int attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
      Optional<StoredState> latest = load();
      if (latest.isEmpty() || !(latest.get().token() instanceof ExternalEdits.ExternalVersion ev)) {
        return Optional.empty();
      }
      ExternalEdits.Found f = ev.found();
      AuditEntry recorded = external.audit(f, audit);
      Snapshot content = f.content();
      SaveResult r = save(new SaveRequest(ev, content, List.of(), recorded), audit);
      if (r instanceof SaveResult.Saved) {
        return Optional.of(new VersionInfo(content.metadata().serial(), content.metadata().updatedAt(), recorded.operator(),
            recorded.operation(), recorded.reason()));
      }
    }
    throw new io.infrastate.ConflictException("Could not accept the external edit of " + file + ": it changed during each of "
        + LOAD_ATTEMPTS + " attempts. Retry when nothing else writes it.", LOAD_ATTEMPTS);
  }

  // ------------------------------------------------------------------ history

  @Override
  public List<VersionInfo> history(int limit) {
    checkOpen();
    try {
      StateParts.checkSidecarDirectory(historyDir);
      List<Long> serials = HistoryFiles.serials(historyDir);
      serials.sort(Comparator.reverseOrder());
      List<VersionInfo> out = new ArrayList<>();
      for (long s : serials) {
        if (out.size() >= limit) {
          break;
        }
        HistoryFiles.readAudit(historyDir.resolve(HistoryFiles.baseName(s) + ".audit.json"), s, parts.maxSize).ifPresent(out::add);
      }
      return out;
    } catch (IOException e) {
      throw io("read the history of", e);
    }
  }

  @Override
  public Optional<StoredState> at(long serial) {
    checkOpen();
    Path p = historyDir.resolve(HistoryFiles.baseName(serial) + ".json");
    try {
      StateParts.checkSidecarDirectory(historyDir);
      Snapshot s = parts.decode(p, () -> "");
      return Optional.of(new StoredState(s, VersionToken.of(s.metadata().serial(), s.metadata().lineage())));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw io("read the history of", e);
    }
  }

  // ------------------------------------------------------------------ lifecycle

  /** Releases the sidecar. Closing twice is harmless. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      sidecar.release();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("FileBackend for " + file + " is closed");
    }
  }

  private BackendException io(String verb, IOException e) {
    return new BackendException(
        "Could not " + verb + " state file " + file + ": " + e + ". Check that the directory exists,"
            + " is writable and has free space; the stored state was not changed.",
        e,
        true);
  }

  /** Builds a {@link FileBackend}. Not thread-safe. */
  public static final class Builder {
    private final Path path;
    private int retention = 20;
    private boolean create;
    private long maxStateSize = StateFiles.DEFAULT_MAX_SIZE;
    private ExternalEditPolicy externalEdits = ExternalEditPolicy.RECORD;

    private Builder(Path path) {
      this.path = Objects.requireNonNull(path, "path");
    }

    /**
     * Whether the first write may create the state file's missing directories (default {@code
     * false}). Without it, a missing directory (a share that is not mounted, a typo) fails loads
     * and writes instead of passing for an empty state. Loads never create anything.
     *
     * @param create {@code true} to create missing directories on the first write
     * @return this builder
     */
    public Builder createDirectories(boolean create) {
      this.create = create;
      return this;
    }

    /**
     * The largest state file (and journal) accepted, in bytes; default 1 GiB. Larger files are
     * refused before they are read, and a write that would make the state file larger is refused
     * before anything is written.
     *
     * @param bytes 1..2147483639
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxStateSize(long bytes) {
      if (bytes < 1 || bytes > StateFiles.LARGEST_MAX_SIZE) {
        throw new IllegalArgumentException("maxStateSize must be within 1.." + StateFiles.LARGEST_MAX_SIZE + ": " + bytes);
      }
      this.maxStateSize = bytes;
      return this;
    }

    /**
     * What to do with a state file that another tool changed (a jq script, a Go-FTL2 program, an
     * editor): {@link ExternalEditPolicy#RECORD} (the default) records it as a version of its own
     * before the next write, {@link ExternalEditPolicy#REFUSE} fails writes with {@link
     * io.infrastate.ExternalEditException} until it is accepted. The URI option is {@code
     * external=record|refuse}. See {@code docs/external-edits.md}.
     *
     * @param policy the policy
     * @return this builder
     * @throws NullPointerException if {@code policy} is null
     */
    public Builder externalEdits(ExternalEditPolicy policy) {
      this.externalEdits = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * How many versions the history keeps; 0 keeps none (the backup is always kept).
     *
     * @param versions 0..100000
     * @return this builder
     */
    public Builder historyRetention(int versions) {
      if (versions < 0 || versions > 100_000) {
        throw new IllegalArgumentException("historyRetention must be within 0..100000: " + versions);
      }
      this.retention = versions;
      return this;
    }

    /**
     * Builds the backend. Reads nothing but a symbolic link at the path, and creates nothing.
     *
     * @return a new backend; close it when done
     * @throws BackendException if the path is a directory or a chain of too many links
     */
    public FileBackend build() {
      try {
        return new FileBackend(this);
      } catch (IOException e) {
        throw new BackendException("Could not open state file " + path + ": " + e + ". Check the path and permissions.", e, false);
      }
    }
  }
}
