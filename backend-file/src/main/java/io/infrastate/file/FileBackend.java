package io.infrastate.file;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.VersionInfo;
import io.infrastate.codec.StateCodec;
import io.infrastate.spi.ExclusiveWrites;
import io.infrastate.spi.ExternalEditBackend;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.HistoryRewritingBackend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredForm;
import io.infrastate.spi.StoredFormBackend;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Stores a state in a local file, atomically and durably, with a backup and a bounded history, and
 * with compare-and-swap across threads and processes. In the default whole-file mode each save
 * writes the whole file anew; in journal mode ({@link Builder#journal(boolean)}) a save appends
 * only its change to a journal beside the file, so that its cost does not grow with the state.
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
 *   <li>{@code state.json} — the state, in the Go-FTL2 format ({@link StateCodec}), mode 0600. In
 *       journal mode it is the base version: after a compaction it holds the latest version; in
 *       between, the latest version is {@code state.json} plus the journal.
 *   <li>{@code state.json.journal} — journal mode only: the versions written since the base, as
 *       checksummed records of their changes, mode 0600.
 *   <li>{@code state.json.backup} — the previous version (as Terraform keeps {@code
 *       terraform.tfstate.backup}); in journal mode, the base before the last compaction.
 *   <li>{@code state.json.history/} — the last {@link Builder#historyRetention(int)} versions (20 by
 *       default): {@code <serial>.json} and {@code <serial>.audit.json} (who, what, why, when). In
 *       journal mode, earlier bases and their journals ({@code <serial>.json}, {@code
 *       <serial>.journal}), kept while they hold one of the last versions, and a second name of the
 *       live journal, so that a journal deleted from outside leaves its records there.
 *   <li>{@code state.json.writelock} — the sidecar whose OS lock serializes writers, created by
 *       the first write; it also records the last version written, so that a state file or journal
 *       deleted, truncated or replaced by an older copy is noticed, and a hash of the state file
 *       written, so that an edit by another tool is recorded as a version of its own ({@link
 *       Builder#externalEdits}). Never delete it while processes use the state.
 * </ul>
 *
 * <p>A symbolic link at the state file's path is followed once, when the backend is built: the
 * state is written where it points and the link is kept; a link to a file that does not exist is
 * loss, not a new state. Nothing else beside the state is read or written through a link, and only
 * regular files are read.
 *
 * <p>Reading is harmless: building the backend and loading create nothing (no directory, no
 * {@code .writelock}) and take no write lock, so a user with read permission only, or a read-only
 * file system, can read the state. The first write creates the sidecar; a missing directory is
 * created only if {@link Builder#createDirectories(boolean)} asks for it.
 *
 * <p><b>One mode per state.</b> The whole-file mode reads {@code state.json} only, so while the
 * journal holds versions that {@code state.json} does not, it refuses the state (loads and writes
 * fail with a {@link BackendException} that says so) instead of serving an old version or losing
 * the journal's: every process must open the state in journal mode ({@code journal(true)}, or
 * {@code State.open("file:///…/state.json?journal=true")}). {@link #compact()} folds the journal
 * into {@code state.json}; after it (and with no writer left in journal mode) the state can be
 * opened in whole-file mode again.
 *
 * <p>Instances are thread-safe; several {@code State} handles, threads and processes may share one
 * state. Close the backend when done: it waits for a running compaction and releases the sidecar.
 */
public final class FileBackend implements HistoryBackend, ExclusiveWrites, ExternalEditBackend, StoredFormBackend,
    HistoryRewritingBackend {
  /*
   * Design notes: the parts, and how they stay correct under concurrency and crashes.
   *
   * THE PARTS. FileBackend is the API; what it does is one of two Stores, chosen when it is built:
   * WholeFileStore (reads) with WholeFileWrite (the save: temporary file, history entry, backup,
   * rename), or JournalStore with JournalReader (change detection: Known, the quiet and settled
   * checks), JournalAppender (append and creation), Compaction and JournalHistory. Both share
   * StateParts (where the files are, new or lost), Sidecar (the write lock and generation),
   * StateFiles (bounded, regular-file reads), DurableFiles (temporary files, links, renames, one
   * fsyncDirectory) and HistoryFiles (names and audit records); ExternalEdits tells a state file
   * another tool wrote from one a writer of this backend wrote (the sidecar records a hash of what
   * was last written as the state file). Each part's class comment says how it stays correct under
   * concurrency and crashes.
   *
   * ONE LOCK. Every writer of a state, in either mode and in any process, takes the sidecar's lock
   * (a JVM lock, then an OS lock) for the whole compare-and-swap; readers never take it, and retry
   * when a writer moved what they read (Store).
   *
   * WHERE THINGS HAPPEN. Load: Store.load, then WholeFileStore.read (readUnlocked, readLocked and
   * decode check what was read) or JournalStore.read (JournalReader.readDisk). Save:
   * WholeFileWrite.save (the compare-and-swap, then the rename; afterPublishing records the
   * version in the sidecar) or JournalStore.save (JournalAppender.create or append).
   *
   * EXTERNAL EDITS. The sidecar also records what was last written as state.json (serial, lineage,
   * stamp, SHA-256). A state.json written by another tool is loaded as the next version
   * (WholeFileStore.readUnlocked and decode, JournalReader.readFull) and recorded in the history
   * before the next save publishes its own (WholeFileWrite.save, JournalStore.save); the hash is
   * recorded wherever state.json is written (WholeFileWrite.afterPublishing, JournalAppender.create,
   * Compaction.install). Loads write nothing, and the checks of loss and damage apply to everything
   * else as before.
   */

  private final Store store;

  private FileBackend(Builder b) throws IOException {
    StateParts parts = StateParts.of(b.path, b.create, b.maxStateSize);
    this.store = b.journal
        ? new JournalStore(parts, b.retention, b.externalEdits, b.compactRecords, b.compactBytes, b.background)
        : new WholeFileStore(parts, b.retention, b.externalEdits);
  }

  /**
   * A backend for the state file at {@code path} with default settings: whole-file mode, 20
   * versions of history. The file need not exist, but its directory must (see {@link
   * Builder#createDirectories(boolean)}). Building reads and creates nothing.
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
   * @throws NullPointerException if {@code path} is null
   */
  public static Builder builder(Path path) {
    return new Builder(path);
  }

  /**
   * The state file (in journal mode, the base version).
   *
   * @return its absolute path
   */
  public Path path() {
    return store.parts.file;
  }

  /**
   * The journal file, which only journal mode writes.
   *
   * @return {@code <name>.journal} next to the state file
   */
  public Path journalPath() {
    return store.parts.journal;
  }

  /**
   * The backup file holding the previous version (in journal mode, the base before the last
   * compaction).
   *
   * @return {@code <name>.backup} next to the state file
   */
  public Path backupPath() {
    return store.parts.backup;
  }

  /**
   * The directory holding the bounded history.
   *
   * @return {@code <name>.history} next to the state file
   */
  public Path historyPath() {
    return store.parts.historyDir;
  }

  /**
   * Whether this backend is in journal mode.
   *
   * @return {@code true} if saves append to the journal
   */
  public boolean journal() {
    return store instanceof JournalStore;
  }

  @Override
  public String location() {
    return store.parts.file.toString();
  }

  @Override
  public Optional<StoredState> load() {
    return store.load();
  }

  @Override
  public Optional<StoredState> loadIfChanged(VersionToken known) {
    store.checkOpen();
    try {
      if (store.unchanged(known)) {
        return Optional.empty();
      }
    } catch (IOException e) {
      throw store.io("read", e);
    }
    Optional<StoredState> latest = store.load();
    if (latest.isEmpty()) {
      if (known.exists()) {
        throw store.lost();
      }
      return Optional.empty();
    }
    VersionToken now = latest.get().token();
    return VersionToken.sameVersion(now, known) && ExternalEdits.sameEdit(now, known) ? Optional.empty() : latest;
  }

  @Override
  public SaveResult save(SaveRequest request) {
    return store.save(request);
  }

  @Override
  public ExternalEditPolicy externalEditPolicy() {
    return store.external.policy();
  }

  /**
   * {@inheritDoc}
   *
   * <p>A state file is an external edit when it holds the serial and lineage this backend last
   * wrote with other bytes, or no serial and lineage where a lineage stood. In journal mode the
   * edited {@code state.json} replaces the latest version, the journal's included (see {@code
   * docs/external-edits.md}).
   */
  @Override
  public Optional<ExternalEdit> externalEdit() {
    return store.externalEdit();
  }

  @Override
  public Optional<VersionInfo> acceptExternalEdit(AuditEntry audit) {
    return store.acceptExternalEdit(audit);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Takes the sidecar's lock (the one every save takes) for the calling thread; a compaction
   * waits meanwhile.
   */
  @Override
  public Optional<Section> exclusive() {
    store.checkOpen();
    Sidecar.Held held;
    try {
      held = store.sidecar.lock();
    } catch (IOException e) {
      throw store.io("lock", e);
    }
    return Optional.of(() -> {
      try {
        held.close();
      } catch (IOException e) {
        throw store.io("unlock", e);
      }
    });
  }

  /**
   * Folds the journal into {@code state.json} now, on the calling thread: afterwards {@code
   * state.json} holds the latest version in the plain format and the journal holds no records.
   * Writers wait while the new {@code state.json} is written. Does nothing if no state is stored.
   *
   * @throws IllegalStateException if this backend is in whole-file mode, which keeps no journal, or
   *     is closed
   * @throws CorruptStateException if the state or journal is damaged (nothing is changed)
   * @throws BackendException on storage failure; the stored state stays loadable as before
   */
  public void compact() {
    store.compact();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Every stored form of a version goes through it: the state file, its backup and history
   * versions, the journal's records and bases.
   */
  @Override
  public void storedForm(StoredForm form) {
    store.parts.form = Objects.requireNonNull(form, "form");
  }

  /**
   * {@inheritDoc}
   *
   * <p>In journal mode, compacts ({@link #compact()}), so that state.json holds the new version in
   * its new form; in whole-file mode there is nothing to do.
   */
  @Override
  public void settle() {
    if (store instanceof JournalStore) {
      store.compact();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Rewrites state.json's backup and every file of its history directory (see {@code
   * HistoryRewrite}); state.json and, in journal mode, the live journal are compacted first, so
   * that they hold the current form.
   */
  @Override
  public int rewriteHistory() {
    store.checkOpen();
    settle();
    return HistoryRewrite.run(store);
  }

  /**
   * {@inheritDoc}
   *
   * <p>In journal mode: the versions in the journal and in the journals of earlier bases. At least
   * the last {@link Builder#historyRetention(int)} versions are kept (more, until the journal
   * holding them is pruned).
   */
  @Override
  public List<VersionInfo> history(int limit) {
    return store.history(limit);
  }

  @Override
  public Optional<StoredState> at(long serial) {
    return store.at(serial);
  }

  /**
   * Waits for a running compaction (at most a minute), closes the journal and releases the
   * sidecar. Closing twice is harmless. Does not compact: the journal stays, and the next backend
   * in journal mode continues it.
   *
   * @throws BackendException if closing the files fails
   */
  @Override
  public void close() {
    store.close();
  }

  /** Injects faults into saves (tests only). */
  void faults(SaveFaults faults) {
    store.faults = faults;
  }

  /** Builds a {@link FileBackend}. Not thread-safe. */
  public static final class Builder {
    private final Path path;
    private boolean journal;
    private int retention = 20;
    private boolean create;
    private long maxStateSize = StateFiles.DEFAULT_MAX_SIZE;
    private int compactRecords = Compaction.MAX_COMPACT_RECORDS;
    private long compactBytes;
    private boolean background = true;
    private ExternalEditPolicy externalEdits = ExternalEditPolicy.RECORD;
    /** The first journal-mode option set, refused by {@link #build()} in whole-file mode. */
    private String journalOption;

    private Builder(Path path) {
      this.path = Objects.requireNonNull(path, "path");
    }

    /**
     * Whether saves append their change to a journal beside the state file (default {@code
     * false}: each save writes the whole file). Equivalent to {@code ?journal=true} on the file
     * URI. Every process sharing a state must use the same mode (see the class comment).
     *
     * @param journal {@code true} for journal mode
     * @return this builder
     */
    public Builder journal(boolean journal) {
      this.journal = journal;
      return this;
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
     * What to do with a state file that another tool changed (a jq script, a Go-FTL2 program, an
     * editor): {@link ExternalEditPolicy#RECORD} (the default) records it as a version of its own
     * before the next write (in journal mode it replaces the latest version, journal included),
     * {@link ExternalEditPolicy#REFUSE} fails writes with {@link io.infrastate.model.ExternalEditException}
     * until it is accepted. The URI option is {@code external=record|refuse}. See {@code
     * docs/external-edits.md}.
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
     * How many versions the history keeps; 0 keeps none (the backup is always kept). In journal
     * mode, at least this many: a journal of an earlier base is kept while it holds one of them.
     *
     * @param versions 0..100000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder historyRetention(int versions) {
      if (versions < 0 || versions > 100_000) {
        throw new IllegalArgumentException("historyRetention must be within 0..100000: " + versions);
      }
      this.retention = versions;
      return this;
    }

    /**
     * Journal mode only: compacts once the journal holds this many records, or earlier by {@link
     * #compactAtBytes(long)}. By default there is no limit on the count (100,000,000): the
     * journal's bytes decide.
     *
     * @param records 1..100000000
     * @return this builder
     * @throws IllegalArgumentException if out of range (and, at {@link #build()}, if the backend is
     *     not in journal mode)
     */
    public Builder compactEvery(int records) {
      if (records < 1 || records > Compaction.MAX_COMPACT_RECORDS) {
        throw new IllegalArgumentException("compactEvery must be within 1.." + Compaction.MAX_COMPACT_RECORDS + ": " + records);
      }
      this.compactRecords = records;
      return journalOnly("compactEvery");
    }

    /**
     * Journal mode only: compacts once the journal holds this many bytes. By default (0) the
     * journal may grow to a quarter of {@code state.json}'s size, and at least to 1 MiB: a record
     * then pays a share of the whole-state write that folds it in that does not grow with the
     * state (about four times its own bytes), and a load parses about a quarter more than {@code
     * state.json} at most (plus what was appended while a background compaction ran). A fixed
     * count of records would make that share grow with the state.
     *
     * @param bytes 0 for the default, else at least 4096
     * @return this builder
     * @throws IllegalArgumentException if out of range (and, at {@link #build()}, if the backend is
     *     not in journal mode)
     */
    public Builder compactAtBytes(long bytes) {
      if (bytes != 0 && bytes < 4096) {
        throw new IllegalArgumentException("compactAtBytes must be 0 (adaptive) or at least 4096: " + bytes);
      }
      this.compactBytes = bytes;
      return journalOnly("compactAtBytes");
    }

    /**
     * Journal mode only: whether compaction runs on a background thread (default) or on the
     * writing thread, inside the write that crosses the threshold (which then costs a whole-state
     * write).
     *
     * @param enabled {@code true} for a background thread
     * @return this builder
     */
    public Builder backgroundCompaction(boolean enabled) {
      this.background = enabled;
      return journalOnly("backgroundCompaction");
    }

    private Builder journalOnly(String option) {
      if (journalOption == null) {
        journalOption = option;
      }
      return this;
    }

    /**
     * Builds the backend. Reads nothing but a symbolic link at the path, and creates nothing.
     *
     * @return a new backend; close it when done
     * @throws IllegalArgumentException if a journal-mode option ({@code compactEvery}, {@code
     *     compactAtBytes}, {@code backgroundCompaction}) was set without {@code journal(true)}
     * @throws BackendException if the path is a directory or a chain of too many links
     */
    public FileBackend build() {
      if (!journal && journalOption != null) {
        throw new IllegalArgumentException(journalOption + " applies to journal mode only, and this backend for " + path
            + " is in whole-file mode: add journal(true), or leave " + journalOption + " out.");
      }
      try {
        return new FileBackend(this);
      } catch (IOException e) {
        throw new BackendException("Could not open state file " + path + ": " + e + ". Check the path and permissions.", e, false);
      }
    }
  }
}
