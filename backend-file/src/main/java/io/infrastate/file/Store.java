package io.infrastate.file;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.ConflictException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateException;
import io.infrastate.model.VersionInfo;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * One way of keeping a state in its files, behind {@link FileBackend}: the whole file rewritten at
 * each save ({@link WholeFileStore}) or the change appended to a journal ({@link JournalStore}).
 * Holds what both share: the state's files, the write lock sidecar, the fault seam, and the
 * retrying read without a lock.
 *
 * <h2>Reads without the write lock</h2>
 *
 * A load takes no write lock: it reads what it needs and checks that nothing moved meanwhile, and
 * retries if something did. After {@value #LOAD_ATTEMPTS} lost races it reads under a shared lock
 * on the sidecar, if the sidecar exists and may be read; else it keeps trying, a little slower
 * each time, and gives up (retryably) after {@value #MAX_LOAD_ATTEMPTS}.
 *
 * <p>Instances are thread-safe.
 */
abstract class Store {
  static final int LOAD_ATTEMPTS = 8;
  /** Loads that lost the race this often without a shared lock to take give up (retryable). */
  static final int MAX_LOAD_ATTEMPTS = 200;

  final StateParts parts;
  final int retention;
  final Sidecar sidecar;
  /** Tells state files written by other tools apart, and records them (see {@link ExternalEdits}). */
  final ExternalEdits external;
  /** Faults injected by tests; {@link SaveFaults#NONE} otherwise. */
  volatile SaveFaults faults = SaveFaults.NONE;
  volatile boolean closed;

  Store(StateParts parts, int retention, ExternalEditPolicy policy) {
    this.parts = parts;
    this.retention = retention;
    this.sidecar = Sidecar.acquire(parts.writelock);
    this.external = new ExternalEdits(parts, policy, this::kept);
  }

  /** The latest stored version, or empty if none is stored (or its directory is missing and may be created). */
  final Optional<StoredState> load() {
    checkOpen();
    try {
      if (!parts.directoryReady()) {
        return Optional.empty();
      }
      return read();
    } catch (IOException e) {
      throw io("read", e);
    }
  }

  /** Reads the latest stored version; its directory exists. */
  abstract Optional<StoredState> read() throws IOException;

  /** Whether the files are provably still at {@code known}, without reading them whole. */
  abstract boolean unchanged(VersionToken known) throws IOException;

  /** A compare-and-swap save (see {@link io.infrastate.spi.Backend#save}). */
  final SaveResult save(SaveRequest request) {
    return save(request, null);
  }

  /**
   * Saves; {@code accepted} is null for a save, or who accepts an external edit ({@link
   * #acceptExternalEdit}): the request then stores the edit itself, whatever the policy.
   */
  abstract SaveResult save(SaveRequest request, AuditEntry accepted);

  /** The external edit {@code latest} (just loaded) is, or null if it is none. */
  abstract ExternalEdits.Found pendingEdit(StoredState latest);

  /** The external edit the latest version is, if it is one (see {@link FileBackend#externalEdit()}). */
  final Optional<ExternalEdit> externalEdit() {
    checkOpen();
    Optional<StoredState> latest = load();
    ExternalEdits.Found f = latest.isEmpty() ? null : pendingEdit(latest.get());
    return f == null ? Optional.empty() : Optional.of(external.describe(f));
  }

  /** Records the external edit the latest version is, as its own version, whatever the policy. */
  final Optional<VersionInfo> acceptExternalEdit(AuditEntry audit) {
    checkOpen();
    for (int attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
      Optional<StoredState> latest = load();
      ExternalEdits.Found f = latest.isEmpty() ? null : pendingEdit(latest.get());
      if (f == null) {
        return Optional.empty();
      }
      AuditEntry recorded = external.audit(f, audit);
      Snapshot content = f.content();
      SaveResult r = save(new SaveRequest(latest.get().token(), content, List.of(), recorded), audit);
      if (r instanceof SaveResult.Saved) {
        return Optional.of(new VersionInfo(content.metadata().serial(), content.metadata().updatedAt(), recorded.operator(),
            recorded.operation(), recorded.reason()));
      }
    }
    throw new ConflictException("Could not accept the external edit of " + parts.file + ": it changed during each of "
        + LOAD_ATTEMPTS + " attempts. Retry when nothing else writes it.", LOAD_ATTEMPTS);
  }

  /** A kept version of the lineage, exactly; null if not kept or unreadable. */
  private Snapshot kept(long serial, String lineage) {
    try {
      return at(serial).map(StoredState::snapshot)
          .filter(v -> v.metadata().serial() == serial && v.metadata().lineage().equals(lineage))
          .orElse(null);
    } catch (StateException e) {
      return null;
    }
  }

  /** The versions kept, newest first. */
  abstract List<VersionInfo> history(int limit);

  /** A version kept in the history. */
  abstract Optional<StoredState> at(long serial);

  /** Folds a journal into the state file (journal mode only). */
  abstract void compact();

  /** How to restore a state file that is missing while other parts of the state survive. */
  abstract String lostHint() throws IOException;

  /** What a failure message names: the state file, and the journal in journal mode. */
  abstract String describe();

  /** Mode-specific cleanup on close, before the sidecar is released. */
  void closing() throws IOException {}

  /** Closes the store: {@link #closing()}, then the sidecar. Closing twice is harmless. */
  final void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      try {
        closing();
      } finally {
        sidecar.release();
      }
    } catch (IOException e) {
      throw io("close", e);
    }
  }

  final void checkOpen() {
    if (closed) {
      throw new IllegalStateException("FileBackend for " + parts.file + " is closed");
    }
  }

  final BackendException io(String verb, IOException e) {
    return new BackendException(
        "Could not " + verb + " " + describe() + ": " + e + ". Check that the directory exists,"
            + " is writable and has free space; the stored state was not changed.",
        e,
        true);
  }

  /** The error for a state that was stored and now is not: what survives, and how to restore. */
  final CorruptStateException lost() {
    try {
      List<String> survivors = parts.survivors(sidecar.mark());
      return parts.lost(survivors.isEmpty() ? List.of("nothing else") : survivors, lostHint());
    } catch (IOException e) {
      return parts.lost(List.of("(could not list what survives: " + e + ")"), "");
    }
  }

  /** Whether the state file exists again (read again); throws if parts of a lost state survive. */
  final boolean checkNotLost(Sidecar.Mark mark) throws IOException {
    return parts.checkNothingSurvives(mark, lostHint());
  }

  /** One read of the files; null when something moved meanwhile and the read must be retried. */
  @FunctionalInterface
  interface Attempt<T> {
    T read() throws IOException;
  }

  /**
   * Reads without the write lock until a read sees no writer move anything (see the class
   * comment).
   *
   * @param unlocked a read without any lock; null to retry
   * @param locked the same read under the shared lock, which nothing moves under
   * @param what the failure message's start, such as "State file x was replaced by other writers every
   *     time it was read"
   */
  final <T> T readRetrying(Attempt<T> unlocked, Attempt<T> locked, String what) throws IOException {
    for (int attempt = 0; attempt < MAX_LOAD_ATTEMPTS; attempt++) {
      if (attempt == LOAD_ATTEMPTS) {
        try (Sidecar.Held held = sidecar.lockShared()) {
          if (held != null) {
            return locked.read();
          }
        }
      }
      if (attempt > LOAD_ATTEMPTS) {
        pause(attempt - LOAD_ATTEMPTS);
      }
      T t = unlocked.read();
      if (t != null) {
        return t;
      }
    }
    throw new BackendException(
        what + " (" + MAX_LOAD_ATTEMPTS + " attempts). Retry when writes are less frequent.", null, true);
  }

  private void pause(int round) {
    try {
      Thread.sleep(Math.min(round, 20));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException("Interrupted while reading state " + parts.file, e, true);
    }
  }
}
