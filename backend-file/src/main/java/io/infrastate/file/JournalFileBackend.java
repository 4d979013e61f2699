package io.infrastate.file;

import io.infrastate.BackendException;
import io.infrastate.CorruptStateException;
import io.infrastate.HostState;
import io.infrastate.Metadata;
import io.infrastate.ResourceState;
import io.infrastate.Snapshot;
import io.infrastate.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.internal.PersistentMap;
import io.infrastate.spi.Change;
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
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file backend's journal mode: a durable write appends only the change to a journal next to
 * {@code state.json} and syncs it, so that its cost does not grow with the state; the journal is
 * folded back into a plain {@code state.json} (compaction) in the background once it has grown.
 *
 * <pre>{@code
 * try (JournalFileBackend backend = JournalFileBackend.at(Path.of("state.json"));
 *      State state = State.load(backend)) {
 *   state.addHost(HostState.builder("web01").address("10.0.0.5").build()); // one small append
 * }
 * }</pre>
 *
 * <h2>Files</h2>
 *
 * Next to {@code state.json} (any name):
 *
 * <ul>
 *   <li>{@code state.json} — the base version, in the plain Go-FTL2 format ({@link StateCodec}),
 *       mode 0600. After a compaction it holds the latest version; in between, the latest version
 *       is {@code state.json} plus the journal.
 *   <li>{@code state.json.journal} — the versions written since the base, as checksummed records
 *       of their changes (see the design notes below), mode 0600.
 *   <li>{@code state.json.backup} — the base before the last compaction.
 *   <li>{@code state.json.history/} — earlier bases and their journals ({@code <serial>.json},
 *       {@code <serial>.journal}), kept while they hold one of the last {@link
 *       Builder#historyRetention(int)} versions, and a second name of the live journal ({@code
 *       <base>.journal}), so that a journal deleted from outside leaves its records there.
 *   <li>{@code state.json.writelock} — the sidecar whose OS lock serializes writers, shared with
 *       {@link FileBackend} and created by the first write; it also records the last version
 *       written, so that a deleted or truncated journal is noticed instead of its serials being
 *       written again.
 * </ul>
 *
 * <p><b>One mode per state.</b> {@link FileBackend} reads {@code state.json} only, so while the
 * journal holds versions that {@code state.json} does not, it refuses the state (loads and writes
 * fail with a {@link BackendException} that says so) instead of serving an old version or losing
 * the journal's: every process must open the state in journal mode ({@code
 * State.open("file:///…/state.json?journal=true")} or this class). {@link #compact()} folds the
 * journal into {@code state.json}; after it (and with no writer left in journal mode) the files can
 * be opened with {@link FileBackend} again.
 *
 * <p>Instances are thread-safe; several {@code State} handles, threads and processes may share one
 * state. Close the backend when done: it waits for a running compaction and releases the sidecar.
 */
public final class JournalFileBackend implements HistoryBackend, ExclusiveWrites, ExternalEditBackend {
  /*
   * Design notes: how a journaled save stays atomic, durable, conflict-free and cheap.
   *
   * On disk. state.json is a plain state (serial b). state.json.journal is a header frame
   * {infrastate_journal, base_serial h, lineage} followed by one frame per version written since:
   * [length][CRC32C of length][CRC32C of payload][JSON: serial, lineage, metadata times, audit,
   * changes], then zeros: the journal is kept SPACE_AHEAD (64 KiB) of zeros longer than its
   * records, so that an append overwrites blocks that are already allocated and written and its
   * fdatasync need not commit a new file size. Records carry consecutive serials h+1, h+2, ...;
   * h <= b. The latest version is state.json with the records whose serial is > b applied in
   * order. Records <= b are already in
   * state.json (the creation record, or the journal a crashed compaction did not replace yet) and
   * are skipped. A journal that does not chain on state.json is either stale (all its records are
   * <= b, or they belong to another lineage: state.json was replaced by a person) and is ignored
   * and set aside on the next write, or it continues a later version than state.json holds (h > b:
   * state.json was replaced by an older copy), which is damage.
   *
   * save(expected, snapshot, changes):
   *   1. Encode the record (outside any lock: CPU only, proportional to the change).
   *   2. Take the sidecar lock (JVM lock, then the OS lock): every writer of this state, in any
   *      process, holds it for steps 3-5; readers never take it.
   *   3. Find the latest version on disk. Fast path, without a stat of the journal: the sidecar's
   *      generation is the one this instance left (every writer of the protocol changes it),
   *      state.json's stamp (inode, size, mtime, ctime) is the one it saw, the directory's stamp is
   *      the one it saw before it last confirmed the journal's inode (renaming a file over the
   *      journal changes the directory; the stamp counts only once the directory has been
   *      unchanged for longer than a tick of the file clock, 50 ms, or 2 s where times have no
   *      fraction), and the journal holds, around the end of the last known record, the record's
   *      last 12 bytes and then 12 zeros (what a truncation, a copy written over the journal in
   *      place or an append would change) -> nothing changed: two stats, two small reads.
   *      Why no stat of the journal: where file times are fine-grained once looked at (Linux 6.13
   *      and later), a stat between two appends makes the second one change the journal's times,
   *      and on ext4 without a journal its fdatasync then also writes the inode: one more disk
   *      write per durable write (measured: 2 block requests per append instead of 1). Otherwise,
   *      the slow path: stat the journal; unchanged if its stamp is the one seen last, or if it is
   *      the same inode at the same generation with the same last bytes (this instance's own
   *      appends moved its times); with the same files and records appended (another process
   *      wrote): read and apply only the bytes after the last known record. Anything else
   *      (another process compacted, a person replaced or edited a file): read everything.
   *      Not seen by a handle that holds the latest version: a record before the last one edited
   *      in place from outside; every load reads the journal whole and refuses it (its checksum),
   *      and appends never overwrite it. Damage raises CorruptStateException: stop, nothing
   *      written. Compare-and-swap: the latest serial and lineage must equal the expected ones,
   *      else Conflict with the latest version (the caller need not read again).
   *   4. Append: if non-zero bytes follow the last valid record (a torn tail of a writer that
   *      crashed mid-append: it never returned Saved), overwrite them with zeros and sync first.
   *      When fewer than a frame header of zeros would be left after the record, 64 KiB of fresh
   *      zeros are written at the end first: at least a frame header of zeros always follows the
   *      last record, which is what step 3 and loadIfChanged read to see that nothing was
   *      appended (without it, they read the whole state again). Then write the record where the
   *      zeros start with one positional write (this publishes it: a complete record with a valid
   *      checksum is a version for every reader) and force(false) (fdatasync, which also commits
   *      a new size). The write is durable when save returns; its cost is one small write and one
   *      sync, whatever the state's size.
   *      Creating the state (nothing stored) writes state.json whole and a journal holding the
   *      creation record, for the history, both as fsynced temporary files; renaming state.json
   *      into place publishes it, then the journal follows (fsync of the directory between).
   *   5. Bump the sidecar's generation (before the sync); remember (snapshot, position, generation,
   *      the record's last bytes) as the latest version.
   *
   * An error is the truth: everything that can fail for want of space (the zeros ahead, which
   * allocate the blocks the record then overwrites; the temporary files) comes before the step
   * that publishes, and an error there reports that nothing was stored: fresh zeros after the last
   * record, or a torn tail, are not a version. After it (the generation, the sync; the journal of
   * a new state; a compaction), failures are logged as warnings and the save reports success: the
   * record is already visible to every reader, so withdrawing it would be a lie of its own.
   *
   * Progress (ExclusiveWrites): State holds the sidecar lock across a conflicted write's reload,
   * re-application and save; the lock is re-entrant for its holder, so this save takes it again.
   *
   * Compaction, when the journal holds a quarter of state.json's bytes (at least 1 MiB; or what
   * compactAtBytes / compactEvery set), on a background thread: encode the latest known version
   * (serial s) and write it to a temporary file with fsync, outside the lock (this is the
   * whole-state cost, paid off the write path). Then, under the lock, if state.json and the
   * journal are still those the version was read from: link the old base and journal into the
   * history, link the old base as the backup, rename the temporary file over state.json and
   * fsync the directory (now state.json = s; the old journal's records <= s are skipped), then
   * write a new journal = header(s) + the records appended after s meanwhile, fsync it, rename it
   * over the journal, fsync the directory. A crash at any step leaves a pair (state.json, journal) that loads as the same latest version.
   * The lock is held for two renames, a copy of the few newest records and three syncs.
   *
   * Readers take no write lock: they stat state.json and the journal, read, and stat again; if
   * state.json changed or the journal was replaced meanwhile, or what they read does not parse
   * (a torn tail being truncated and rewritten under them), they retry, and after 8 attempts
   * read under a shared lock on the sidecar (if it exists and may be read; else they keep trying).
   *
   * Loss. The sidecar records the last version written (with the generation, before the sync:
   * a machine crash can leave it one ahead of a torn record, which a load allows); a load that
   * finds an older latest version (the journal deleted, truncated or replaced by an older copy)
   * stops with CorruptStateException instead of writing those serials again. Each new journal is
   * also hard-linked into the history as <base>.journal, so a journal deleted together with the
   * sidecar still leaves its records there, and a load names that copy. An append while reading is harmless: only complete records with valid
   * checksums count, and records before the end never change. A complete, valid record is a
   * committed version for everyone: a writer that crashed after writing it but before returning
   * may have had it stored, which the contract allows ("may or may not have been stored").
   *
   * Recovery ignores a torn tail: after the last valid record, bytes in which no valid frame
   * starts (an incomplete frame, a frame whose checksum fails, pages of a record written out of
   * order), then zeros. A checksum failure followed by a valid frame is damage (a record in the
   * middle was lost) and is never cleared or overwritten (stop on damage).
   *
   * Cost of a write at N hosts: the record (O(size of the change)), the lock, two stats, two small
   * reads, one write of the record and one of the generation, one fdatasync of data only; the
   * State handle above it applies the change to its persistent maps in O(log N). See
   * benchmarks/RESULTS.md.
   */

  /**
   * Holds the logger, created on first use: a run that logs nothing never starts SLF4J (about 20 ms
   * of a command-line tool's first load, and its warning when no provider is installed).
   */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(JournalFileBackend.class);
  }

  private static final int LOAD_ATTEMPTS = 8;
  /** Loads that lost the race this often without a shared lock to take give up (retryable). */
  private static final int MAX_LOAD_ATTEMPTS = 200;
  private static final long MIN_COMPACT_BYTES = 1 << 20;
  private static final int MAX_COMPACT_RECORDS = 100_000_000;
  private static final long COMPACTION_RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final long UNKNOWN_GENERATION = Long.MIN_VALUE;
  /** How many bytes before the last record's end the quiet check compares. */
  private static final int TAIL = 12;
  /**
   * How long a directory must have stayed unchanged before its stamp can vouch that nothing in it
   * was replaced: file times come from a clock that advances in ticks (1-10 ms on Linux), so a
   * change within the tick of the last one could leave the times as they were. Whole-second times
   * (file systems that store no fraction) get two seconds.
   */
  private static final long FINE_CLOCK_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final long COARSE_CLOCK_SLACK_NANOS = TimeUnit.SECONDS.toNanos(2);

  /** What this instance last saw on disk: the latest version, where it sits, what follows it. */
  private static final class Known {
    static final Known ABSENT = new Known(null, -1, 0, -1, 0, 0, false);

    final StoredState state;
    /** The serial of state.json. */
    final long baseSerial;
    /** Records applied on top of state.json. */
    final int records;
    /** The serial of the journal's last record (its header's base if none), -1 if no journal. */
    final long journalLast;
    /** The journal's size when read (larger than the token's end: zeros kept for appends). */
    final long journalSize;
    /** Where the bytes of a torn record after the token's end stop (the end itself if none). */
    final long dirtyEnd;
    /** Whether the journal does not continue state.json and must be set aside before appending. */
    final boolean stale;
    /** The sidecar's write generation when this was read or written; UNKNOWN_GENERATION if not known. */
    final long generation;
    /**
     * The directory's stamp, taken before the journal's identity was last confirmed, if the
     * directory had not changed for long enough that any later change gives it other times; null
     * otherwise. While the directory still has this stamp, the journal was not replaced.
     */
    final FileStamp quietDir;
    /** The last TAIL bytes of the journal before the token's end, null if not known. */
    final byte[] tail;
    /** An edit of state.json from outside that this version is (see ExternalEdits), or null. */
    final ExternalEdits.Found external;

    Known(StoredState state, long baseSerial, int records, long journalLast, long journalSize, long dirtyEnd, boolean stale) {
      this(state, baseSerial, records, journalLast, journalSize, dirtyEnd, stale, UNKNOWN_GENERATION, null, null, null);
    }

    private Known(StoredState state, long baseSerial, int records, long journalLast, long journalSize, long dirtyEnd, boolean stale,
        long generation, FileStamp quietDir, byte[] tail, ExternalEdits.Found external) {
      this.state = state;
      this.baseSerial = baseSerial;
      this.records = records;
      this.journalLast = journalLast;
      this.journalSize = journalSize;
      this.dirtyEnd = dirtyEnd;
      this.stale = stale;
      this.generation = generation;
      this.quietDir = quietDir;
      this.tail = tail;
      this.external = external;
    }

    /** This version as an edit from outside. */
    Known external(ExternalEdits.Found edit) {
      return new Known(state, baseSerial, records, journalLast, journalSize, dirtyEnd, stale, generation, quietDir, tail, edit);
    }

    /** This version, as confirmed at a generation and with a directory stamp (null if unsettled). */
    Known seen(long generation, FileStamp quietDir) {
      return new Known(state, baseSerial, records, journalLast, journalSize, dirtyEnd, stale, generation, quietDir, tail, external);
    }

    /**
     * This version with the journal's bytes before its end: {@code bytes} holds the journal from
     * offset {@code from}; if they do not reach back TAIL bytes from the end, {@code known} is.
     */
    Known withTail(byte[] bytes, long from, byte[] known) {
      long end = state == null ? 0 : token().end();
      byte[] t = end - from >= TAIL && end - from <= bytes.length
          ? Arrays.copyOfRange(bytes, (int) (end - from - TAIL), (int) (end - from))
          : known;
      return new Known(state, baseSerial, records, journalLast, journalSize, dirtyEnd, stale, generation, quietDir, t, external);
    }

    JournalVersion token() {
      return (JournalVersion) state.token();
    }

    long serial() {
      return state.snapshot().metadata().serial();
    }

    String lineage() {
      return state.snapshot().metadata().lineage();
    }
  }

  private final StateParts parts;
  private final Path file;
  private final Path dir;
  private final String name;
  private final Path journal;
  private final Path backup;
  private final Path historyDir;
  private final int retention;
  private final int compactRecords;
  private final long compactBytes;
  private final Sidecar sidecar;
  private final ExternalEdits external;
  private final ExecutorService compactor;
  private final AtomicBoolean compactionPending = new AtomicBoolean();
  private volatile long compactionRetryAt;
  private volatile Known known;
  private volatile boolean closed;
  /** Faults injected by tests; {@link SaveFaults#NONE} otherwise. */
  volatile SaveFaults faults = SaveFaults.NONE;
  // Guarded by the sidecar lock:
  private FileChannel channel;
  private Object channelKey;
  private boolean cleanedTemps;

  private JournalFileBackend(Builder b) throws IOException {
    this.parts = StateParts.of(b.path, b.create, b.maxStateSize);
    this.file = parts.file;
    this.dir = parts.dir;
    this.name = parts.name;
    this.journal = parts.journal;
    this.backup = parts.backup;
    this.historyDir = parts.historyDir;
    this.retention = b.retention;
    this.compactRecords = b.compactRecords;
    this.compactBytes = b.compactBytes;
    this.sidecar = Sidecar.acquire(parts.writelock);
    this.external = new ExternalEdits(parts, b.externalEdits, (serial, lineage) -> at(serial)
        .map(StoredState::snapshot).filter(v -> v.metadata().lineage().equals(lineage)).orElse(null));
    this.compactor = b.background
        ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "infrastate-compactor-" + name);
            t.setDaemon(true);
            return t;
          })
        : null;
  }

  /**
   * A journaled backend for the state file at {@code path} with default settings: compaction in
   * the background once the journal holds a quarter of {@code state.json}'s bytes (at least 1
   * MiB), and 20 versions of history. The file need not exist, but its directory must (see {@link
   * Builder#createDirectories(boolean)}). Building reads and creates nothing.
   *
   * @param path the state file, such as {@code state.json}
   * @return a new backend; close it when done
   * @throws BackendException if the path is a directory or a chain of too many links
   */
  public static JournalFileBackend at(Path path) {
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
   * The state file (the base version).
   *
   * @return its absolute path
   */
  public Path path() {
    return file;
  }

  /**
   * The journal file.
   *
   * @return {@code <name>.journal} next to the state file
   */
  public Path journalPath() {
    return journal;
  }

  /**
   * The backup file holding the base before the last compaction.
   *
   * @return {@code <name>.backup} next to the state file
   */
  public Path backupPath() {
    return backup;
  }

  /**
   * The directory holding earlier bases and journals.
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
          // Writers kept changing the files while we read them: read under a shared lock, if the
          // sidecar exists and may be read; else keep trying, a little slower each time.
          try (Sidecar.Held held = sidecar.lockShared()) {
            if (held != null) {
              Known k = readDisk(known, true);
              remember(k);
              return Optional.ofNullable(k.state);
            }
          }
        }
        if (attempt > LOAD_ATTEMPTS) {
          Thread.sleep(Math.min(attempt - LOAD_ATTEMPTS, 20));
        }
        Known k = readDisk(known, false);
        if (k != null) {
          remember(k);
          return Optional.ofNullable(k.state);
        }
      }
      throw new BackendException(
          "State " + file + " and its journal changed every time they were read (" + MAX_LOAD_ATTEMPTS
              + " attempts). Retry when writes are less frequent.",
          null,
          true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException("Interrupted while reading state " + file, e, true);
    } catch (IOException e) {
      throw io("read", e);
    }
  }

  @Override
  public Optional<StoredState> loadIfChanged(VersionToken known) {
    checkOpen();
    if (known instanceof JournalVersion jv) {
      try {
        Known k = this.known;
        if (k != null && k.state != null && jv.equals(k.token())
            && quiet(k, sidecar.generation(), FileStamp.of(dir), FileStamp.of(file), false)) {
          return Optional.empty();
        }
        FileStamp j = FileStamp.of(journal);
        if (jv.at(FileStamp.of(file), j) && (j == null || nothingAfter(jv.end(), j.size(), j.key(), false))) {
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
    return VersionToken.sameVersion(latest.get().token(), known) ? Optional.empty() : latest;
  }

  /**
   * Reads the latest version on disk, reusing {@code cached} when state.json and the journal are
   * still those it was read from. Returns {@link Known#ABSENT} when nothing is stored, and null
   * when something moved while reading without the lock (the caller retries).
   */
  private Known readDisk(Known cached, boolean locked) throws IOException {
    // The generation first: writers bump it after writing, so whatever a writer wrote before this
    // read is seen by the reads below, and a write after it changes it for the next check.
    Sidecar.Reading sidecarNow = sidecar.read();
    Sidecar.Mark mark = sidecarNow.mark();
    long gen = sidecarNow.generation();
    FileStamp d = FileStamp.of(dir);
    FileStamp s1 = FileStamp.of(file);
    if (s1 == null) {
      if (checkNotLost(mark)) {
        if (locked) {
          throw parts.appeared();
        }
        return null; // a writer created it meanwhile: read again
      }
      return Known.ABSENT;
    }
    if (cached != null && cached.state != null && quiet(cached, gen, d, s1, locked)) {
      return cached;
    }
    FileStamp quietDir = settled(d, System.currentTimeMillis() * 1_000_000L);
    FileStamp j1 = FileStamp.of(journal);
    if (cached != null && cached.state != null) {
      JournalVersion t = cached.token();
      // The stamps alone cannot tell: appends into the zeros kept ahead leave the size alone, and
      // two appends can fall within one tick of the file's clock. Nothing follows the last record
      // when the frame where the next one would start is still zeros.
      boolean sameFiles = s1.equals(t.base()) && j1 != null && t.journal() != null && Objects.equals(j1.key(), t.journalKey());
      boolean appended = j1 != null && !nothingAfter(t.end(), j1.size(), j1.key(), locked);
      // Unchanged: the same stamps; or the same files at the generation this instance left, still
      // ending with the record it knows (its own appends take no stamp, so the journal's times
      // moved with them). Otherwise a changed stamp is a change from outside the protocol (a
      // person rewrote a file): read everything.
      if ((!appended && t.at(s1, j1)) || (sameFiles && gen == cached.generation && tailIntact(cached, j1.size(), locked))) {
        return cached.seen(gen, quietDir);
      }
      if (appended && sameFiles) {
        Known next = advance(cached, s1, j1, locked);
        if (next != null) {
          return next.seen(gen, quietDir);
        }
      }
    }
    Known full = readFull(s1, j1, locked, Long.MAX_VALUE, mark);
    return full == null ? null : full.seen(gen, quietDir);
  }

  /**
   * Whether {@code cached} is still the latest version, known without a stat of the journal: no
   * writer of the protocol wrote since (the generation), state.json is the same file, the journal
   * was not replaced (the directory holding it has not changed since its identity was confirmed),
   * and its last record ends as written, with nothing after it.
   */
  private boolean quiet(Known cached, long gen, FileStamp d, FileStamp s1, boolean locked) throws IOException {
    JournalVersion t = cached.token();
    return gen == cached.generation && s1 != null && s1.equals(t.base()) && t.journal() != null
        && cached.quietDir != null && cached.quietDir.equals(d) && tailIntact(cached, cached.journalSize, locked);
  }

  /**
   * Whether the journal (of {@code size} bytes) still holds, just before the end of {@code
   * cached}, the bytes this instance knows there, and zeros after: a journal truncated, copied
   * over or appended to in place (by anything but a writer of the protocol, which changes the
   * generation) shows there.
   */
  private boolean tailIntact(Known cached, long size, boolean locked) throws IOException {
    JournalVersion t = cached.token();
    if (cached.tail == null || size < t.end() + JournalCodec.FRAME_HEADER) {
      return false;
    }
    byte[] around = read(t.end() - TAIL, t.end() + JournalCodec.FRAME_HEADER, t.journalKey(), locked);
    return around != null && Arrays.equals(around, 0, TAIL, cached.tail, 0, TAIL) && zerosFrom(around, TAIL);
  }

  private static boolean zerosFrom(byte[] bytes, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The directory's stamp if, at {@code nowNanos} (wall clock, epoch nanoseconds), it has not
   * changed for long enough to vouch for its entries; else null.
   */
  static FileStamp settled(FileStamp d, long nowNanos) {
    if (d == null) {
      return null;
    }
    long newest = Math.max(d.mtimeNanos(), d.ctimeNanos());
    long slack = newest % 1_000_000_000L == 0 ? COARSE_CLOCK_SLACK_NANOS : FINE_CLOCK_SLACK_NANOS;
    return newest + slack <= nowNanos ? d : null;
  }

  /**
   * Whether no record starts at {@code end} of a journal of {@code size} bytes: it ends there, or
   * a frame header's worth of zeros follows. Under the lock through the open channel (if it is the
   * journal with {@code key}), else with a read of its own.
   */
  private boolean nothingAfter(long end, long size, Object key, boolean locked) throws IOException {
    if (size <= end) {
      return true;
    }
    byte[] head = read(end, end + Math.min(JournalCodec.FRAME_HEADER, size - end), key, locked);
    return head != null && zerosFrom(head, 0);
  }

  /**
   * The journal's bytes [from, to): under the lock through the open channel if it is the journal
   * with {@code key} (zeros past its end), else with a read of its own (null past its end).
   */
  private byte[] read(long from, long to, Object key, boolean locked) throws IOException {
    if (locked && channel != null && channel.isOpen() && Objects.equals(channelKey, key)) {
      ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(to - from));
      while (buf.hasRemaining() && channel.read(buf, from + buf.position()) >= 0) {
        // read until full or the end of the file
      }
      return buf.array();
    }
    return readRange(journal, from, to);
  }

  /** Applies the records appended after {@code cached}; null if that is not possible. */
  private Known advance(Known cached, FileStamp s1, FileStamp j1, boolean locked) throws IOException {
    if (cached.stale) {
      return null;
    }
    JournalVersion t = cached.token();
    long size = j1.size();
    byte[] tail = readRange(journal, t.end(), size);
    if (tail == null || !stable(s1, j1.key())) {
      return null;
    }
    JournalCodec.Scan scan = JournalCodec.scan(tail, t.end(), false);
    if (scan.damage != null) {
      if (locked) {
        throw journalDamage(scan.damage);
      }
      return null;
    }
    long expect = cached.serial() + 1;
    String lineage = cached.lineage();
    for (JournalCodec.Entry e : scan.entries) {
      if (e.serial() != expect++ || (!lineage.isEmpty() && !lineage.equals(e.metadata().lineage()))) {
        return null;
      }
      lineage = e.metadata().lineage();
    }
    Snapshot snapshot = apply(cached.state.snapshot(), scan.entries);
    Metadata m = snapshot.metadata();
    JournalVersion token = new JournalVersion(m.serial(), m.lineage(), t.base(), j1, scan.validEnd);
    return new Known(new StoredState(snapshot, token), cached.baseSerial, cached.records + scan.entries.size(), m.serial(), size, scan.dirtyEnd, false)
        .withTail(tail, t.end(), cached.tail);
  }

  private boolean stable(FileStamp s1, Object key) throws IOException {
    FileStamp s2 = FileStamp.of(file);
    FileStamp j2 = FileStamp.of(journal);
    return s1.equals(s2) && Objects.equals(key, j2 == null ? null : j2.key());
  }

  /**
   * Reads state.json and the whole journal and applies the records up to {@code upTo}. Null if
   * something moved while reading without the lock.
   */
  private Known readFull(FileStamp s1, FileStamp j1, boolean locked, long upTo, Sidecar.Mark mark) throws IOException {
    Sidecar.Base base = sidecar.base();
    Snapshot snapshot;
    byte[] jbytes = null;
    try {
      snapshot = parts.decode(file, parts::recoveryHint);
      if (j1 != null) {
        jbytes = StateFiles.read(journal, parts.maxSize);
      }
    } catch (NoSuchFileException e) {
      if (locked) {
        throw e;
      }
      return null;
    }
    Object key = j1 == null ? null : j1.key();
    if (!locked && !stable(s1, key)) {
      return null;
    }
    if (jbytes != null && jbytes.length > j1.size()) {
      // appended to after the stat: keep what the stamp describes (earlier bytes never change)
      jbytes = Arrays.copyOf(jbytes, (int) j1.size());
    }
    long b = snapshot.metadata().serial();
    String lb = snapshot.metadata().lineage();
    if (jbytes == null) {
      checkJournalNotLost(b, lb);
    }
    if (jbytes == null || jbytes.length == 0) {
      checkNotOlder(b, lb, mark, false, jbytes == null ? "the journal " + journal + " is missing" : "the journal " + journal + " is empty");
      JournalVersion token = new JournalVersion(b, lb, s1, j1, 0);
      return new Known(new StoredState(snapshot, token), b, 0, -1, 0, 0, jbytes != null);
    }
    JournalCodec.Scan scan = JournalCodec.scan(jbytes, 0, false);
    if (scan.damage != null) {
      if (locked) {
        throw journalDamage(scan.damage);
      }
      return null;
    }
    JournalCodec.Header h = scan.header;
    long expect = h.baseSerial() + 1;
    String jl = h.lineage();
    for (JournalCodec.Entry e : scan.entries) {
      String el = e.metadata().lineage();
      if (e.serial() != expect || (!jl.isEmpty() && !jl.equals(el))) {
        if (!locked) {
          return null;
        }
        throw journalDamage("the record at offset " + (e.end()) + " holds version " + e.serial() + " (lineage " + el
            + ") where version " + expect + " (lineage " + jl + ") was expected");
      }
      expect++;
      jl = el;
    }
    long last = expect - 1;
    // only for the latest version: a read of an earlier one (upTo) passes no mark to date the edit
    ExternalEdits.Found edit = upTo == Long.MAX_VALUE ? external.detect(snapshot, s1, base, mark, h::lineage) : null;
    if (edit != null) {
      if (!locked && !stable(s1, key)) {
        return null; // replaced while it was hashed (a compaction): read again
      }
      // state.json was written from outside: it replaces the latest version (see ExternalEdits)
      Metadata em = edit.content().metadata();
      JournalVersion token = new JournalVersion(em.serial(), em.lineage(), s1, j1, scan.validEnd);
      return new Known(new StoredState(edit.content(), token), b, 0, last, jbytes.length, scan.dirtyEnd, false).external(edit);
    }
    boolean foreign = !lb.isEmpty() && !jl.isEmpty() && !lb.equals(jl);
    checkNotOlder(Math.max(last, b), foreign ? lb : jl, mark, scan.torn,
        "the journal " + journal + " ends at version " + last + (last < b ? ", before the state file's" : ""));
    if (foreign || last < b) {
      // The journal does not continue this state.json (replaced by a person): ignore it; the next
      // write sets it aside.
      JournalVersion token = new JournalVersion(b, lb, s1, j1, scan.validEnd);
      return new Known(new StoredState(snapshot, token), b, 0, last, jbytes.length, scan.dirtyEnd, last != b || foreign).withTail(jbytes, 0, null);
    }
    if (h.baseSerial() > b) {
      throw new CorruptStateException(
          location(),
          null,
          "State " + file + " holds version " + b + " but its journal " + journal + " continues version "
              + h.baseSerial() + ": state.json was replaced by an older copy, so the journal's versions"
              + " cannot be applied to it. Nothing was written. Restore state.json from "
              + (StateParts.exists(historyDir.resolve(HistoryFiles.baseName(h.baseSerial()) + ".json"))
                  ? historyDir.resolve(HistoryFiles.baseName(h.baseSerial()) + ".json").toString()
                  : "a copy of version " + h.baseSerial())
              + ", or move the journal away to keep the older state.",
          null);
    }
    List<JournalCodec.Entry> live = new ArrayList<>();
    for (JournalCodec.Entry e : scan.entries) {
      if (e.serial() > b && e.serial() <= upTo) {
        live.add(e);
      }
    }
    Snapshot latest = apply(snapshot, live);
    Metadata m = latest.metadata();
    long end = live.isEmpty() || upTo < last ? scan.validEnd : live.get(live.size() - 1).end();
    JournalVersion token = new JournalVersion(m.serial(), m.lineage(), s1, j1, end);
    return new Known(new StoredState(latest, token), b, live.size(), last, jbytes.length, upTo < last ? end : scan.dirtyEnd, false)
        .withTail(jbytes, 0, null);
  }

  /** Applies records to a snapshot; the last record's metadata becomes the snapshot's. */
  private static Snapshot apply(Snapshot base, List<JournalCodec.Entry> entries) {
    if (entries.isEmpty()) {
      return base;
    }
    if (base.hosts() instanceof PersistentMap<HostState> ph && base.resources() instanceof PersistentMap<ResourceState> pr) {
      return applyPersistent(base, ph, pr, entries);
    }
    TreeMap<String, HostState> hosts = null;
    TreeMap<String, ResourceState> resources = null;
    for (JournalCodec.Entry e : entries) {
      for (Change c : e.changes()) {
        if (c instanceof Change.PutHost p) {
          hosts = hosts != null ? hosts : new TreeMap<>(base.hosts());
          hosts.put(p.host().name(), p.host());
        } else if (c instanceof Change.RemoveHost r) {
          hosts = hosts != null ? hosts : new TreeMap<>(base.hosts());
          hosts.remove(r.name());
        } else if (c instanceof Change.PutResource p) {
          resources = resources != null ? resources : new TreeMap<>(base.resources());
          resources.put(p.key(), p.resource());
        } else if (c instanceof Change.RemoveResource r) {
          resources = resources != null ? resources : new TreeMap<>(base.resources());
          resources.remove(r.key());
        } else if (c instanceof Change.ReplaceAll r) {
          hosts = new TreeMap<>(r.content().hosts());
          resources = new TreeMap<>(r.content().resources());
        }
      }
    }
    Metadata m = entries.get(entries.size() - 1).metadata();
    if (hosts == null && resources == null) {
      return base.withMetadata(m);
    }
    return Snapshot.of(m, hosts != null ? hosts : base.hosts(), resources != null ? resources : base.resources());
  }

  /**
   * Applies records on the snapshot's persistent maps: O(changes × log N) plus what {@link
   * Snapshot#of} costs, instead of copying N entries.
   */
  private static Snapshot applyPersistent(Snapshot base, PersistentMap<HostState> hosts, PersistentMap<ResourceState> resources,
      List<JournalCodec.Entry> entries) {
    boolean resourcesChanged = false;
    for (JournalCodec.Entry e : entries) {
      for (Change c : e.changes()) {
        if (c instanceof Change.PutHost p) {
          hosts = hosts.plus(p.host().name(), p.host());
        } else if (c instanceof Change.RemoveHost r) {
          hosts = hosts.minus(r.name());
        } else if (c instanceof Change.PutResource p) {
          resources = resources.plus(p.key(), p.resource());
          resourcesChanged = true;
        } else if (c instanceof Change.RemoveResource r) {
          resources = resources.minus(r.key());
          resourcesChanged = true;
        } else if (c instanceof Change.ReplaceAll r) {
          hosts = PersistentMap.copyOf(r.content().hosts());
          resources = PersistentMap.copyOf(r.content().resources());
          resourcesChanged = true;
        }
      }
    }
    Metadata m = entries.get(entries.size() - 1).metadata();
    if (hosts == base.hosts() && !resourcesChanged) {
      return base.withMetadata(m);
    }
    return Snapshot.of(m, hosts, resources);
  }

  private void remember(Known k) {
    if (k == null || k.state == null) {
      return;
    }
    Known current = known;
    if (current == null || current.state == null || k.serial() >= current.serial()) {
      known = k;
    }
  }

  /**
   * Refuses a state whose latest version on disk ({@code serial}) is older than the version the
   * write lock sidecar records as written: the journal was deleted or truncated, or state.json
   * replaced by an older copy; a write would reuse the lost versions' serials. A torn record right
   * after the last one is the exception: a writer records its version just before it syncs the
   * record, so after a crash of the machine the mark may be one ahead of a record that never
   * reached the disk.
   */
  private void checkNotOlder(long serial, String lineage, Sidecar.Mark mark, boolean torn, String what) {
    if (mark == null || !mark.after(serial, lineage) || (torn && mark.serial() == serial + 1)) {
      return;
    }
    throw parts.older(serial, mark.serial(), parts.writelock + " records it; " + what, restoreHint());
  }

  private String restoreHint() {
    return "Restore the lost files if a copy exists"
        + (Files.isDirectory(historyDir, LinkOption.NOFOLLOW_LINKS) ? " (the history " + historyDir + " keeps earlier bases and journals)." : ".");
  }

  /** Whether the state file exists again (read again); throws if parts of a lost state survive. */
  private boolean checkNotLost(Sidecar.Mark mark) throws IOException {
    return parts.checkNothingSurvives(mark, lostHint());
  }

  private String lostHint() {
    if (StateParts.exists(backup)) {
      return "Restore it (cp " + backup + " " + file + ", keeping the journal if it exists).";
    }
    try {
      long newest = parts.newestInHistory();
      Path base = historyDir.resolve(HistoryFiles.baseName(newest) + ".json");
      if (newest >= 0 && StateParts.exists(base)) {
        return "Restore it (cp " + base + " " + file + ", keeping the journal if it exists).";
      }
    } catch (IOException e) {
      // no hint then
    }
    return "Restore it from a copy, keeping the journal if it exists.";
  }

  private CorruptStateException lost() {
    try {
      List<String> survivors = parts.survivors(sidecar.mark());
      return parts.lost(survivors.isEmpty() ? List.of("nothing else") : survivors, lostHint());
    } catch (IOException e) {
      return parts.lost(List.of("(could not list what survives: " + e + ")"), "");
    }
  }

  private CorruptStateException journalDamage(String what) {
    return new CorruptStateException(
        journal.toString(),
        null,
        "Journal " + journal + " of state " + file + " is damaged: " + what + ". It was not modified and"
            + " nothing was written. The base is in " + file + (StateParts.exists(backup) ? " (and " + backup + ")" : "")
            + "; move the journal away to fall back to that base, losing the versions written since.",
        null);
  }

  // ------------------------------------------------------------------ external edits

  @Override
  public ExternalEditPolicy externalEditPolicy() {
    return external.policy();
  }

  /**
   * {@inheritDoc}
   *
   * <p>In journal mode, {@code state.json} is an external edit when it holds the base this backend
   * last wrote with other bytes, or no serial and lineage where a lineage stood; it then replaces
   * the latest version, the journal's included (see {@code docs/external-edits.md}).
   */
  @Override
  public Optional<ExternalEdit> externalEdit() {
    checkOpen();
    Optional<StoredState> latest = load();
    Known k = known; // what load() remembered
    if (latest.isEmpty() || k == null || k.external == null || k.state != latest.get()) {
      return Optional.empty();
    }
    return Optional.of(external.describe(k.external));
  }

  @Override
  public Optional<VersionInfo> acceptExternalEdit(AuditEntry audit) {
    checkOpen();
    for (int attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
      Optional<StoredState> latest = load();
      Known k = known; // what load() remembered
      if (latest.isEmpty() || k == null || k.external == null || k.state != latest.get()) {
        return Optional.empty();
      }
      AuditEntry recorded = external.audit(k.external, audit);
      Snapshot content = k.external.content();
      SaveResult r = save(new SaveRequest(k.state.token(), content, List.of(), recorded), audit);
      if (r instanceof SaveResult.Saved) {
        return Optional.of(new VersionInfo(content.metadata().serial(), content.metadata().updatedAt(), recorded.operator(),
            recorded.operation(), recorded.reason()));
      }
    }
    throw new io.infrastate.ConflictException("Could not accept the external edit of " + file + ": it changed during each of "
        + LOAD_ATTEMPTS + " attempts. Retry when nothing else writes it.", LOAD_ATTEMPTS);
  }

  // ------------------------------------------------------------------ save

  @Override
  public SaveResult save(SaveRequest request) {
    return save(request, null);
  }

  /**
   * Saves; {@code accepted} is null for a save, or who accepts an external edit ({@link
   * #acceptExternalEdit}): only the edit is then recorded, whatever the policy.
   */
  private SaveResult save(SaveRequest request, AuditEntry accepted) {
    checkOpen();
    Snapshot next = request.snapshot();
    byte[] record = request.expected().exists() && accepted == null ? JournalCodec.record(request) : null;
    Known after = null;
    try {
      parts.prepareWrite();
    } catch (IOException e) {
      throw io("write", e);
    }
    try (Sidecar.Held held = sidecar.lock()) {
      checkOpen();
      Known disk = readDisk(known, true);
      VersionToken expected = request.expected();
      if (!expected.exists()) {
        if (disk.state != null) {
          remember(disk);
          return new SaveResult.Conflict(Optional.of(disk.state));
        }
        after = create(request);
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
          disk = create(edit);
          known = disk;
          if (accepted != null) {
            return new SaveResult.Saved(disk.state.token());
          }
        }
        if (next.metadata().serial() != disk.serial() + 1) {
          throw new BackendException(
              "Refusing to write version " + next.metadata().serial() + " of " + file + " on top of version "
                  + disk.serial() + ": the journal needs consecutive serials. This is a bug in the caller.",
              null,
              false);
        }
        after = append(disk, next, record);
      }
      known = after;
      if (compactor == null && needsCompaction(after)) {
        try {
          after = compactLocked(after);
        } catch (IOException | RuntimeException e) {
          Log.LOG.warn("Could not compact the journal of {}; the write is stored, compaction is retried later", file, e);
          compactionRetryAt = System.nanoTime() + COMPACTION_RETRY_NANOS;
        }
      }
    } catch (IOException e) {
      if (after == null) {
        throw io("write", e);
      }
      Log.LOG.warn("Version {} of {} is stored, but releasing its write lock failed: {}", after.serial(), file, e.toString());
    }
    if (compactor != null && needsCompaction(after) && compactionPending.compareAndSet(false, true)) {
      try {
        compactor.execute(this::compactInBackground);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        compactionPending.set(false);
      }
    }
    return new SaveResult.Saved(after.state.token());
  }

  /**
   * Creates the state: state.json whole, then a journal holding the creation record. Both are
   * written to temporary files first; the rename of state.json publishes the state, and failures
   * after it are warnings.
   */
  private Known create(SaveRequest request) throws IOException {
    removeStaleTemps();
    Snapshot next = request.snapshot();
    Metadata m = next.metadata();
    EncodedState encoded = EncodedState.of(next);
    StateFiles.checkWriteSize(file, encoded.size(), parts.maxSize);
    // The creation record is for the history only (state.json holds the content): no changes.
    byte[] header = JournalCodec.header(m.serial() == 0 ? 0 : m.serial() - 1, m.lineage());
    byte[] audit = m.serial() == 0
        ? new byte[0]
        : JournalCodec.record(new SaveRequest(request.expected(), next, List.of(), request.audit()));
    byte[] journalBytes = withSpaceAhead(header, audit);
    Path tmp = DurableFiles.writeTemp(dir, "." + name + ".", encoded);
    Path journalTmp = null;
    try {
      journalTmp = DurableFiles.writeTemp(dir, "." + name + ".", journalBytes);
      faults.at(SaveFaults.Step.BEFORE_PUBLISH);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      DurableFiles.deleteQuietly(tmp);
      DurableFiles.deleteQuietly(journalTmp);
      throw e;
    }
    try {
      faults.at(SaveFaults.Step.AFTER_PUBLISH);
      DurableFiles.fsyncDirectory(dir);
      moveInto(journalTmp, journal);
      DurableFiles.fsyncDirectory(dir);
      keepInHistory(m.serial());
      keepBase(m.serial(), m.lineage(), encoded);
      long gen = sidecar.generation() + 1;
      sidecar.setGeneration(gen, m.serial(), m.lineage());
      FileStamp s = FileStamp.of(file);
      FileStamp j = FileStamp.of(journal);
      long end = header.length + audit.length;
      JournalVersion token = new JournalVersion(m.serial(), m.lineage(), s, j, end);
      return new Known(new StoredState(next, token), m.serial(), 0, m.serial(), j.size(), end, false).seen(gen, null).withTail(journalBytes, 0, null);
    } catch (IOException | RuntimeException e) {
      DurableFiles.deleteQuietly(journalTmp);
      Log.LOG.warn("State {} is created (version {}), but its journal could not be set up: {}; the next write starts one", file, m.serial(), e.toString());
      // A token without stamps: the next read of this instance reads the files again.
      JournalVersion token = new JournalVersion(m.serial(), m.lineage(), null, null, 0);
      return new Known(new StoredState(next, token), m.serial(), 0, -1, 0, 0, false);
    }
  }

  /** Appends one record; the caller holds the lock and has checked the expected version. */
  private Known append(Known disk, Snapshot next, byte[] record) throws IOException {
    removeStaleTemps();
    JournalVersion t = disk.token();
    FileStamp journalStamp = t.journal();
    Object key = t.journalKey();
    long end = t.end();
    long size = disk.journalSize;
    long dirty = Math.max(end, disk.dirtyEnd);
    FileStamp quietDir = disk.quietDir;
    if (key == null || end == 0 || disk.stale || disk.journalLast != disk.serial()) {
      // No journal yet, or one that does not continue state.json: start one on the base.
      setAside(disk);
      byte[] header = JournalCodec.header(disk.serial(), disk.lineage());
      byte[] bytes = withSpaceAhead(header);
      moveInto(DurableFiles.writeTemp(dir, "." + name + ".", bytes), journal);
      DurableFiles.fsyncDirectory(dir);
      keepInHistory(disk.serial());
      journalStamp = FileStamp.of(journal);
      key = journalStamp.key();
      quietDir = null;
      end = header.length;
      size = bytes.length;
      dirty = end;
    }
    FileChannel ch = channel(key);
    if (dirty > end) {
      // Zeros replace the torn bytes, durably, before anything is written after them: a record
      // followed by a torn one's leftovers would read as damage.
      Log.LOG.info("Clearing {} bytes of a torn record at the end of {} (a writer crashed before it returned)", dirty - end, journal);
      for (long at = end; at < dirty; ) {
        at += writeFully(ch, ByteBuffer.allocate((int) Math.min(SPACE_AHEAD, dirty - at)), at);
      }
      ch.force(false);
    }
    long recordEnd = end + record.length;
    // what a load reads: the base and the journal's records (compaction folds them into one file)
    StateFiles.checkWriteSize(file + " with its journal", t.base().size() + recordEnd, parts.maxSize);
    if (recordEnd + JournalCodec.FRAME_HEADER > size) {
      // Out of space: fresh zeros at the end, written before the record (which then overwrites
      // blocks already allocated), so that a full disk fails here, with nothing published; the
      // sync after the record makes them durable with it. At least a frame header of zeros always
      // follows the last record: that is how the next write (and loadIfChanged) sees, from those
      // bytes alone, that nothing was appended since.
      long grown = roundUp(recordEnd + SPACE_AHEAD);
      long from = Math.max(size, end);
      writeFully(ch, ByteBuffer.allocate(Math.toIntExact(grown - from)), from);
      size = grown;
    }
    faults.at(SaveFaults.Step.BEFORE_PUBLISH);
    DurableFiles.writeAll(ch, record, end);
    // Published: from here on, a failure is a warning (see the design notes).
    long gen = disk.generation + 1; // readDisk read it under this lock, at the start of this save
    Metadata m = next.metadata();
    try {
      faults.at(SaveFaults.Step.AFTER_PUBLISH);
      // The generation goes before the sync, which changes nothing others see: measured, the same
      // call costs twice as much right after a sync. No stat of the journal: see the design notes.
      sidecar.setGeneration(gen, m.serial(), m.lineage());
      ch.force(false);
    } catch (IOException | RuntimeException e) {
      Log.LOG.warn("Version {} of {} is stored in {}, but a step after writing its record failed: {}",
          next.metadata().serial(), file, journal, e.toString());
    }
    JournalVersion token = new JournalVersion(m.serial(), m.lineage(), t.base(), journalStamp, recordEnd);
    return new Known(new StoredState(next, token), disk.baseSerial, disk.records + 1, m.serial(), size, recordEnd, false)
        .seen(gen, quietDir)
        .withTail(record, end, null);
  }

  /**
   * Zeros kept ahead of the last record. An append then overwrites blocks that are allocated and
   * written, so its fdatasync flushes the data alone; an append that grew the file would also
   * commit its new size to the file system's journal, which costs about a third more per write
   * (measured on ext4).
   */
  static final int SPACE_AHEAD = 64 * 1024;

  /** Journal content (its parts, in order) followed by {@link #SPACE_AHEAD} zeros, up to a whole 4 KiB page. */
  private static byte[] withSpaceAhead(byte[]... parts) {
    long length = 0;
    for (byte[] p : parts) {
      length += p.length;
    }
    byte[] out = new byte[Math.toIntExact(roundUp(length + SPACE_AHEAD))];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  private static long roundUp(long n) {
    return (n + 4095) & ~4095L;
  }

  private static int writeFully(FileChannel ch, ByteBuffer buf, long at) throws IOException {
    int n = buf.remaining();
    long pos = at;
    while (buf.hasRemaining()) {
      pos += ch.write(buf, pos);
    }
    return n;
  }

  /**
   * Links a new journal into the history as {@code <base>.journal}: one file under two names, so
   * that appends show in both and a journal deleted or replaced from outside leaves its records
   * there (a load then stops, naming the copy). It counts as a segment of the history once the
   * compaction that ends it links its base beside it.
   */
  private void keepInHistory(long base) throws IOException {
    if (retention > 0) {
      StateParts.sidecarDirectory(historyDir);
      DurableFiles.linkReplacing(journal, historyDir.resolve(HistoryFiles.baseName(base) + ".journal"));
      DurableFiles.fsyncDirectory(historyDir);
    }
  }

  /**
   * Refuses a state whose journal is missing while the history's link to it holds versions after
   * state.json: the journal was deleted (with the write lock sidecar, or the mark would have told).
   */
  private void checkJournalNotLost(long base, String lineage) throws IOException {
    Path kept = historyDir.resolve(HistoryFiles.baseName(base) + ".journal");
    if (!StateParts.exists(kept)) {
      return;
    }
    byte[] bytes;
    try {
      bytes = StateFiles.read(kept, parts.maxSize);
    } catch (NoSuchFileException e) {
      return;
    }
    long last = -1;
    for (JournalCodec.Entry e : JournalCodec.scan(bytes, 0, true).entries) {
      if (e.serial() > base && (lineage.isEmpty() || lineage.equals(e.metadata().lineage()))) {
        last = Math.max(last, e.serial());
      }
    }
    if (last > base) {
      throw parts.older(base, last, kept + " holds it; the journal " + journal + " is missing",
          "Restore the journal from that copy (cp " + kept + " " + journal + ").");
    }
  }

  /** Keeps a journal that no longer continues state.json in the history, named by its header. */
  private void setAside(Known disk) throws IOException {
    if (!disk.stale || disk.journalSize == 0 || !Files.exists(journal, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Log.LOG.warn("Journal {} does not continue {} (replaced from outside); keeping it in {} and starting a new one", journal, file, historyDir);
    if (retention > 0) {
      StateParts.sidecarDirectory(historyDir);
      DurableFiles.linkReplacing(journal, historyDir.resolve("stale-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".journal"));
    }
  }

  /** The open journal channel, reopened if the journal file was replaced. Under the lock. */
  private FileChannel channel(Object key) throws IOException {
    if (channel == null || !channel.isOpen() || !Objects.equals(channelKey, key)) {
      closeChannel();
      FileChannel ch = FileChannel.open(journal, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
      FileStamp now = FileStamp.of(journal);
      if (now == null || !Objects.equals(now.key(), key)) {
        ch.close();
        throw new IOException("journal " + journal + " was replaced while the write lock was held; is a process ignoring the lock?");
      }
      channel = ch;
      channelKey = key;
    }
    return channel;
  }

  private void closeChannel() throws IOException {
    if (channel != null) {
      FileChannel ch = channel;
      channel = null;
      channelKey = null;
      ch.close();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Takes the sidecar's lock (the one every save takes) for the calling thread; a compaction
   * waits meanwhile.
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

  // ------------------------------------------------------------------ compaction

  /**
   * Folds the journal into {@code state.json} now, on the calling thread: afterwards {@code
   * state.json} holds the latest version in the plain format and the journal holds no records.
   * Writers wait while the new {@code state.json} is written. Does nothing if no state is stored.
   *
   * @throws CorruptStateException if the state or journal is damaged (nothing is changed)
   * @throws BackendException on storage failure; the stored state stays loadable as before
   */
  public void compact() {
    checkOpen();
    try (Sidecar.Held held = sidecar.lock()) {
      Known disk = readDisk(known, true);
      if (disk.state == null || disk.external != null || (disk.records == 0 && !disk.stale && disk.token().end() > 0)) {
        return; // nothing to fold in; an edit from outside is recorded by the next write, not folded in
      }
      remember(disk);
      compactLocked(disk);
    } catch (IOException e) {
      throw io("compact", e);
    }
  }

  private boolean needsCompaction(Known k) {
    if (k.records == 0 || System.nanoTime() - compactionRetryAt < 0) {
      return false;
    }
    return k.records >= compactRecords || k.token().end() >= compactionBytes(compactBytes, k.token().base().size());
  }

  /**
   * How many journal bytes start a compaction: {@code configured} if set, else a quarter of
   * state.json's size and at least 1 MiB. Proportional to the state, so that each record pays a
   * constant share of the whole-state write that folds it in (about four times its own bytes), at
   * any size; and a load parses about a quarter more bytes than state.json's at most (plus what
   * was appended while a background compaction ran).
   */
  static long compactionBytes(long configured, long baseSize) {
    return configured > 0 ? configured : Math.max(MIN_COMPACT_BYTES, baseSize / 4);
  }

  private Known compactLocked(Known disk) throws IOException {
    removeStaleTemps();
    EncodedState encoded = EncodedState.of(disk.state.snapshot());
    StateFiles.checkWriteSize(file, encoded.size(), parts.maxSize);
    Path tmp = DurableFiles.writeTemp(dir, "." + name + ".", encoded);
    try {
      return install(tmp, disk, disk, encoded);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private void compactInBackground() {
    Path tmp = null;
    try {
      Known k = known;
      if (closed || k == null || k.state == null || !needsCompaction(k)) {
        return;
      }
      EncodedState bytes = EncodedState.of(k.state.snapshot());
      StateFiles.checkWriteSize(file, bytes.size(), parts.maxSize);
      tmp = Files.createTempFile(dir, "." + name + ".compact.", ".tmp", DurableFiles.OWNER_ONLY);
      // The OS lock on the temporary file tells cleaners in other processes that its writer lives.
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
          FileLock alive = ch.lock();
          Sidecar.Held held = lockAfterWriting(ch, bytes)) {
        if (closed) {
          return;
        }
        Known disk = readDisk(known, true);
        remember(disk);
        JournalVersion dt = disk.state == null ? null : disk.token();
        JournalVersion kt = k.token();
        if (dt == null || disk.stale || disk.external != null || k.external != null || !dt.base().equals(kt.base()) || !Objects.equals(dt.journalKey(), kt.journalKey())
            || dt.end() < kt.end() || disk.serial() < k.serial()) {
          Log.LOG.debug("Skipping compaction of {}: another process compacted or replaced it meanwhile", file);
          return;
        }
        install(tmp, k, disk, bytes);
      }
    } catch (IOException | RuntimeException e) {
      Log.LOG.warn("Could not compact the journal of {}; writes are unaffected, compaction is retried later", file, e);
      compactionRetryAt = System.nanoTime() + COMPACTION_RETRY_NANOS;
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          Log.LOG.debug("Could not remove {}", tmp, e);
        }
      }
      compactionPending.set(false);
    }
  }

  private Sidecar.Held lockAfterWriting(FileChannel ch, EncodedState bytes) throws IOException {
    bytes.writeTo(ch);
    ch.force(true);
    return sidecar.lock();
  }

  /**
   * Installs {@code tmp} (the encoding of {@code encoded}, already fsynced) as state.json and
   * starts a journal holding the records {@code disk} has after it. Under the lock; {@code disk}
   * is in the same base and journal as {@code encoded}, at the same or a later serial.
   */
  private Known install(Path tmp, Known encoded, Known disk, EncodedState bytes) throws IOException {
    long s = encoded.serial();
    JournalVersion et = encoded.token();
    JournalVersion dt = disk.token();
    byte[] tail = dt.end() > et.end() ? readRange(journal, et.end(), dt.end()) : new byte[0];
    if (tail == null) {
      throw new IOException("journal " + journal + " vanished during compaction");
    }
    boolean hasJournal = Files.exists(journal, LinkOption.NOFOLLOW_LINKS);
    if (retention > 0) {
      StateParts.sidecarDirectory(historyDir);
      String base = HistoryFiles.baseName(disk.baseSerial);
      DurableFiles.linkReplacing(file, historyDir.resolve(base + ".json"));
      if (hasJournal && !disk.stale) {
        DurableFiles.linkReplacing(journal, historyDir.resolve(base + ".journal"));
      }
      DurableFiles.fsyncDirectory(historyDir);
    }
    DurableFiles.linkReplacing(file, backup);
    moveInto(tmp, file);
    DurableFiles.fsyncDirectory(dir);
    byte[] header = JournalCodec.header(s, encoded.lineage());
    byte[] journalBytes = withSpaceAhead(header, tail);
    moveInto(DurableFiles.writeTemp(dir, "." + name + ".", journalBytes), journal);
    DurableFiles.fsyncDirectory(dir);
    keepInHistory(s);
    closeChannel();
    long gen = sidecar.bumpGeneration();
    if (retention > 0) {
      prune(disk.serial(), s);
    }
    keepBase(s, encoded.lineage(), bytes);
    FileStamp stamp = FileStamp.of(file);
    FileStamp j = FileStamp.of(journal);
    JournalVersion token = new JournalVersion(disk.serial(), disk.lineage(), stamp, j, header.length + tail.length);
    Known installed = new Known(new StoredState(disk.state.snapshot(), token), s, (int) (disk.serial() - s), disk.serial(), j.size(),
        header.length + tail.length, false).seen(gen, null).withTail(journalBytes, 0, null);
    known = installed;
    Log.LOG.debug("Compacted {} at version {} ({} records carried over)", file, s, installed.records);
    return installed;
  }

  /**
   * Links the base just written into the history under its serial (so that its versions stay
   * readable if state.json is replaced from outside) and records it in the sidecar, stamped after
   * the link (which changes its times), so that a replacement is told apart (ExternalEdits).
   */
  private void keepBase(long serial, String lineage, EncodedState bytes) throws IOException {
    if (retention > 0) {
      StateParts.sidecarDirectory(historyDir);
      DurableFiles.linkReplacing(file, historyDir.resolve(HistoryFiles.baseName(serial) + ".json"));
      DurableFiles.fsyncDirectory(historyDir);
    }
    sidecar.setBase(ExternalEdits.base(serial, lineage, FileStamp.of(file), bytes));
  }

  /** Removes archived segments that hold no version among the newest {@code retention}. */
  private void prune(long newest, long currentBase) throws IOException {
    List<Long> bases = segmentBases();
    bases.sort(Comparator.naturalOrder());
    for (int i = 0; i < bases.size(); i++) {
      long upper = i + 1 < bases.size() ? bases.get(i + 1) : currentBase;
      if (upper <= newest - retention) {
        String base = HistoryFiles.baseName(bases.get(i));
        Files.deleteIfExists(historyDir.resolve(base + ".journal"));
        Files.deleteIfExists(historyDir.resolve(base + ".json"));
      }
    }
  }

  private List<Long> segmentBases() throws IOException {
    List<Long> out = new ArrayList<>();
    if (!Files.isDirectory(historyDir, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(historyDir, "*.json")) {
      for (Path p : stream) {
        String n = p.getFileName().toString();
        String digits = n.substring(0, n.length() - ".json".length());
        if (digits.length() == 20 && digits.chars().allMatch(Character::isDigit)) {
          out.add(Long.parseLong(digits));
        }
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ history

  /**
   * The versions kept: those in the journal and in the journals of earlier bases, newest first.
   * At least the last {@link Builder#historyRetention(int)} versions are kept (more, until the
   * journal holding them is pruned).
   */
  @Override
  public List<VersionInfo> history(int limit) {
    checkOpen();
    try {
      TreeMap<Long, VersionInfo> all = new TreeMap<>(Comparator.reverseOrder());
      List<Path> journals = new ArrayList<>();
      StateParts.checkSidecarDirectory(historyDir);
      if (Files.isDirectory(historyDir, LinkOption.NOFOLLOW_LINKS)) {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(historyDir, "*.journal")) {
          for (Path p : stream) {
            if (!p.getFileName().toString().startsWith("stale-")) {
              journals.add(p);
            }
          }
        }
      }
      journals.add(journal);
      for (Path p : journals) {
        byte[] bytes;
        try {
          bytes = StateFiles.read(p, parts.maxSize);
        } catch (NoSuchFileException e) {
          continue;
        }
        for (JournalCodec.Entry e : JournalCodec.scan(bytes, 0, true).entries) {
          Metadata m = e.metadata();
          all.put(m.serial(), new VersionInfo(m.serial(), m.updatedAt(), e.audit().operator(), e.audit().operation(), e.audit().reason(), e.audit().locks()));
        }
      }
      List<VersionInfo> out = new ArrayList<>();
      for (VersionInfo v : all.values()) {
        if (out.size() >= limit) {
          break;
        }
        out.add(v);
      }
      return out;
    } catch (IOException e) {
      throw io("read the history of", e);
    }
  }

  @Override
  public Optional<StoredState> at(long serial) {
    checkOpen();
    Optional<StoredState> latest = load();
    if (latest.isEmpty() || serial > latest.get().snapshot().metadata().serial() || serial < 0) {
      return Optional.empty();
    }
    if (serial == latest.get().snapshot().metadata().serial()) {
      return latest;
    }
    Known k = known;
    // state.json edited from outside holds none of the earlier versions: only the history does
    boolean edited = k != null && k.external != null && k.state == latest.get();
    try {
      StateParts.checkSidecarDirectory(historyDir);
      Known current = null;
      try (Sidecar.Held held = edited ? null : sidecar.lockShared()) {
        for (int attempt = 0; !edited && current == null && attempt < MAX_LOAD_ATTEMPTS; attempt++) {
          FileStamp s1 = FileStamp.of(file);
          if (s1 == null) {
            return Optional.empty();
          }
          current = readFull(s1, FileStamp.of(journal), held != null, serial, null);
        }
      }
      if (current == null && !edited) {
        throw new BackendException("State " + file + " changed every time version " + serial + " was read; retry.", null, true);
      }
      if (current != null && current.state != null && current.serial() == serial) {
        return Optional.of(plain(current.state.snapshot()));
      }
      List<Long> bases = segmentBases();
      bases.sort(Comparator.reverseOrder());
      for (long b : bases) {
        if (b > serial) {
          continue;
        }
        Path baseFile = historyDir.resolve(HistoryFiles.baseName(b) + ".json");
        Snapshot s;
        try {
          s = parts.decode(baseFile, () -> "");
        } catch (NoSuchFileException e) {
          continue;
        }
        List<JournalCodec.Entry> live = new ArrayList<>();
        try {
          byte[] j = StateFiles.read(historyDir.resolve(HistoryFiles.baseName(b) + ".journal"), parts.maxSize);
          for (JournalCodec.Entry e : JournalCodec.scan(j, 0, false).entries) {
            if (e.serial() > s.metadata().serial() && e.serial() <= serial) {
              live.add(e);
            }
          }
        } catch (NoSuchFileException e) {
          // a base without its journal: only the base itself
        }
        Snapshot result = apply(s, live);
        if (result.metadata().serial() == serial) {
          return Optional.of(plain(result));
        }
        return Optional.empty();
      }
      return Optional.empty();
    } catch (IOException e) {
      throw io("read the history of", e);
    }
  }

  private static StoredState plain(Snapshot s) {
    return new StoredState(s, VersionToken.of(s.metadata().serial(), s.metadata().lineage()));
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Waits for a running compaction (at most a minute), closes the journal and releases the
   * sidecar. Closing twice is harmless. Does not compact: the journal stays, and the next
   * journaled backend continues it.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (compactor != null) {
        compactor.shutdown();
        if (!compactor.awaitTermination(1, TimeUnit.MINUTES)) {
          Log.LOG.warn("A compaction of {} is still running after a minute; closing anyway", file);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      try {
        if (sidecar.writable()) {
          // the journal's channel is opened under the write lock only: never taken, nothing to close
          try (Sidecar.Held held = sidecar.lock()) {
            closeChannel();
          }
        }
      } finally {
        sidecar.release();
      }
    } catch (IOException e) {
      throw io("close", e);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("JournalFileBackend for " + file + " is closed");
    }
  }

  private BackendException io(String verb, IOException e) {
    return new BackendException(
        "Could not " + verb + " state file " + file + " (journal " + journal + "): " + e + ". Check that the"
            + " directory exists, is writable and has free space; the stored state was not changed.",
        e,
        true);
  }

  // ------------------------------------------------------------------ files

  /** Reads bytes [from, to) of a file; null if it vanished or is shorter. */
  private static byte[] readRange(Path p, long from, long to) throws IOException {
    return StateFiles.readRange(p, from, to);
  }

  private static void moveInto(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  /** Removes temporary files left by writers that crashed; under the lock, once per instance. */
  private void removeStaleTemps() throws IOException {
    if (cleanedTemps) {
      return;
    }
    cleanedTemps = true;
    for (Path d : new Path[] {dir, historyDir}) {
      if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(d, ".*.tmp")) {
        for (Path p : stream) {
          String n = p.getFileName().toString();
          if (!n.startsWith("." + name + ".") && !d.equals(historyDir)) {
            continue;
          }
          if (n.startsWith("." + name + ".compact.") && compactorAlive(p)) {
            continue;
          }
          Log.LOG.info("Removing {} left by a writer that crashed", p);
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Whether a compaction temp is still held by its writer (written outside the write lock). */
  private static boolean compactorAlive(Path p) {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      FileLock lock = ch.tryLock();
      if (lock == null) {
        return true;
      }
      lock.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true;
    } catch (IOException e) {
      return true;
    }
  }

  /** Builds a {@link JournalFileBackend}. Not thread-safe. */
  public static final class Builder {
    private final Path path;
    private int retention = 20;
    private int compactRecords = MAX_COMPACT_RECORDS;
    private long compactBytes;
    private boolean background = true;
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
     * The largest state file and journal accepted, in bytes; default 1 GiB. Larger files are
     * refused before they are read, and a write or compaction that would make either larger is
     * refused before anything is written.
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
     * What to do with a {@code state.json} that another tool changed: {@link
     * ExternalEditPolicy#RECORD} (the default) records it as a version of its own before the next
     * write (it replaces the latest version, journal included), {@link ExternalEditPolicy#REFUSE}
     * fails writes with {@link io.infrastate.ExternalEditException} until it is accepted. The URI
     * option is {@code external=record|refuse}. See {@code docs/external-edits.md}.
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
     * How many versions the history keeps at least; 0 keeps none (the backup of the last base is
     * always kept).
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
     * Compacts once the journal holds this many records, or earlier by {@link
     * #compactAtBytes(long)}. By default there is no limit on the count (100,000,000): the
     * journal's bytes decide.
     *
     * @param records 1..100000000
     * @return this builder
     */
    public Builder compactEvery(int records) {
      if (records < 1 || records > MAX_COMPACT_RECORDS) {
        throw new IllegalArgumentException("compactEvery must be within 1.." + MAX_COMPACT_RECORDS + ": " + records);
      }
      this.compactRecords = records;
      return this;
    }

    /**
     * Compacts once the journal holds this many bytes. By default (0) the journal may grow to a
     * quarter of {@code state.json}'s size, and at least to 1 MiB: a record then pays a share of
     * the whole-state write that folds it in that does not grow with the state (about four times
     * its own bytes), and a load parses about a quarter more than {@code state.json} at most (plus
     * what was appended while a background compaction ran). (A fixed
     * count of records would make that share grow with the state: at 100k hosts, a compaction
     * every 10,000 records cost each write about 100 µs of another thread's CPU.)
     *
     * @param bytes 0 for the default, else at least 4096
     * @return this builder
     */
    public Builder compactAtBytes(long bytes) {
      if (bytes != 0 && bytes < 4096) {
        throw new IllegalArgumentException("compactAtBytes must be 0 (adaptive) or at least 4096: " + bytes);
      }
      this.compactBytes = bytes;
      return this;
    }

    /**
     * Whether compaction runs on a background thread (default) or on the writing thread, inside
     * the write that crosses the threshold (which then costs a whole-state write).
     *
     * @param enabled {@code true} for a background thread
     * @return this builder
     */
    public Builder backgroundCompaction(boolean enabled) {
      this.background = enabled;
      return this;
    }

    /**
     * Builds the backend. Reads nothing but a symbolic link at the path, and creates nothing.
     *
     * @return a new backend; close it when done
     * @throws BackendException if the path is a directory or a chain of too many links
     */
    public JournalFileBackend build() {
      try {
        return new JournalFileBackend(this);
      } catch (IOException e) {
        throw new BackendException("Could not open state file " + path + ": " + e + ". Check the path and permissions.", e, false);
      }
    }
  }
}
