package io.infrastate;

import io.infrastate.internal.StructuralRules;
import io.infrastate.model.AuditEntry;
import io.infrastate.model.BackendException;
import io.infrastate.model.ConflictException;
import io.infrastate.model.CorruptStateException;
import io.infrastate.model.HostState;
import io.infrastate.model.InvalidStateException;
import io.infrastate.model.LineageMismatchException;
import io.infrastate.model.Metadata;
import io.infrastate.model.ResourceState;
import io.infrastate.model.Snapshot;
import io.infrastate.model.StateException;
import io.infrastate.model.Violation;
import io.infrastate.spi.Backend;
import io.infrastate.spi.Change;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write path of one {@link State} handle: its current version, the compare-and-swap attempt
 * loop and persist-then-publish. State is the API; this class is what its writes and {@link
 * State#refresh()} do.
 *
 * <p>Instances are thread-safe.
 */
final class StateWriter {
  /*
   * Design notes: how this stays correct under concurrency and crashes.
   *
   * READS. `current` is a volatile reference to an immutable StoredState (snapshot and backend
   * version token). Readers dereference it once and never lock.
   *
   * THE ATTEMPT LOOP. Every write is a request to GroupCommit, which hands groups of concurrent
   * requests to commitGroup under `writeLock`, so at most one write per handle is in flight and
   * a group becomes one version (one durable write). Each attempt:
   *
   *   base = current; tx = copy-on-write view of base.snapshot; apply each request;
   *   next = tx.finish(metadata with serial + 1); validate(next);
   *   backend.save(expected = base.token, next)  -- compare-and-swap in the backend
   *     Saved    -> current = (next, newToken)     -- publish only after persisting
   *     Conflict -> current = reload (lineage checked); WriteContention says how to retry
   *
   * Each request is applied against a savepoint of the shared transaction, so one that throws is
   * undone and fails alone; a group whose combined version breaks a rule is retried request by
   * request, so one bad change vetoes only itself. Every request still sees the latest version,
   * and a caller returns only once its change is persisted (or has failed).
   *
   * PERSIST, THEN PUBLISH. An exception anywhere before `current` is assigned leaves it
   * untouched. A conflict publishes the reloaded version, which is a real stored version, so
   * readers never see an unpersisted state. Crash safety of the stored bytes is the backend's
   * part of the contract (atomic, durable save; damaged data never overwritten).
   *
   * LOCK ORDER. `writeLock`, then the backend's locks (WriteContention's exclusive section or
   * write lease); refresh() and the backends' loads take them in that order too, and a caller
   * waiting in the group commit holds neither, so none of them can deadlock. A write started
   * from inside a write's function would wait for itself: it is refused.
   *
   * LINEAGE. A state loaded from storage keeps the stored lineage; a version that has none (a
   * Go-FTL2 file) gets a fresh lineage on its first write. A state created on empty storage has a
   * lineage in memory only; if another writer creates the state first, this handle adopts theirs,
   * since it never persisted its own. After that, a reload that finds another lineage is a
   * replacement by a different state and stops all writes.
   */

  private final Backend backend;
  private final StateOptions options;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final GroupCommit<Write<?>> group;
  /** What a writer does when its compare-and-swap keeps losing; used under writeLock. */
  private final WriteContention contention;
  private volatile StoredState current;
  private volatile boolean closed;

  StateWriter(Backend backend, StateOptions options, StoredState initial) {
    this.backend = backend;
    this.options = options;
    this.current = initial;
    this.group = new GroupCommit<>(writeLock, options.groupCommit(), this::commitGroup);
    this.contention = new WriteContention(backend, options.operator(), options.retryBackoff());
  }

  /** The version readers see: the latest this handle loaded or stored. */
  StoredState current() {
    return current;
  }

  private String location() {
    return backend.location();
  }

  boolean closed() {
    return closed;
  }

  /** Stops writes; returns false if already closed. */
  boolean close() {
    if (closed) {
      return false;
    }
    closed = true;
    contention.close();
    return true;
  }

  /** See {@link State#refresh()}. */
  Snapshot refresh() {
    writeLock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("State for " + location() + " is closed");
      }
      StoredState base = current;
      if (!base.token().exists()) {
        backend.load().ifPresent(fresh -> current = fresh);
      } else {
        backend.loadIfChanged(base.token()).ifPresent(fresh -> current = checkLineage(base, fresh));
      }
      return current.snapshot();
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Holds the logger, created on first use: a run that logs nothing never starts SLF4J (a part of
   * a command-line tool's first load, and its warning when no provider is installed).
   */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(State.class);
  }

  /** One caller's write: its change and, once done, what the change computed and the version. */
  static final class Write<R> extends GroupCommit.Request {
    final AuditEntry audit;
    final Function<StateTransaction, R> fn;
    final boolean force;
    R result;
    /** The write's changes in the group's transaction: from {@code from} to {@code to}. */
    int from;
    int to;
    Snapshot snapshot;

    Write(AuditEntry audit, Function<StateTransaction, R> fn, boolean force) {
      this.audit = audit;
      this.fn = fn;
      this.force = force;
    }

    void apply(StateTransaction tx) {
      from = tx.mark();
      result = fn.apply(tx);
      to = tx.mark();
    }

    void succeed(Snapshot s) {
      snapshot = s;
      succeeded();
    }

    /** Throws what the write failed with, if it failed. */
    Write<R> outcome() {
      Throwable error = error();
      if (error instanceof RuntimeException e) {
        throw e;
      }
      if (error instanceof Error e) {
        throw e;
      }
      if (error != null) {
        throw new StateException("write failed: " + error, error);
      }
      return this;
    }
  }

  /** Commits one write (with others arriving meanwhile) and returns it done, or throws its error. */
  <R> Write<R> write(AuditEntry audit, Function<StateTransaction, R> fn, boolean force) {
    Objects.requireNonNull(audit, "audit");
    if (writeLock.isHeldByCurrentThread()) {
      throw new IllegalStateException(
          "A write to " + location() + " was started from inside another write's function (or a"
              + " validator); make the change through the transaction that function was given.");
    }
    Write<R> request = new Write<>(audit, fn, force);
    group.commit(request);
    return request.outcome();
  }

  /** Commits one group as one version (GroupCommit calls it with {@code writeLock} held). */
  private void commitGroup(List<Write<?>> batch) {
    if (closed) {
      IllegalStateException e = new IllegalStateException("State for " + location() + " is closed");
      batch.forEach(r -> r.fail(e));
    } else {
      commitAttempts(batch);
    }
  }

  /**
   * Runs the attempt loop for a group (the caller holds {@code writeLock}) until every request is
   * done; between attempts, {@link WriteContention} takes the exclusive section or the write lease,
   * or backs off, and releases them when the loop ends. An inner call (a group split after a
   * failed validation) reuses what its caller holds.
   */
  private void commitAttempts(List<Write<?>> batch) {
    int maxAttempts = options.maxAttempts();
    String writeId = SaveRequest.newWriteId(); // one per write: backends record it to resolve lost replies
    try (WriteContention.Turn turn = contention.begin(this::catchUp)) {
      for (int attempt = 1; !attempt(batch, attempt, maxAttempts, writeId); attempt++) {
        turn.conflicted(attempt);
      }
    }
  }

  /** After taking the exclusive section or the lease: picks up what was written since the conflict. */
  private void catchUp() {
    StoredState base = current;
    Optional<StoredState> fresh = base.token().exists() ? backend.loadIfChanged(base.token()) : backend.load();
    if (fresh.isPresent()) {
      current = checkLineage(base, fresh.get());
    }
  }

  /**
   * One attempt: applies the group to the current version, validates and saves it. Returns true
   * when the group is complete (stored, unchanged, or every request failed), false after a
   * conflict (then {@code current} holds the version that won).
   *
   * @throws ConflictException if this was the last attempt allowed
   */
  private boolean attempt(List<Write<?>> batch, int attempt, int maxAttempts, String writeId) {
    long started = System.nanoTime();
    StoredState base = current;
    Instant now = options.clock().instant();
    StateTransaction tx = new StateTransaction(base.snapshot(), now);
    List<Write<?>> applied = new ArrayList<>(batch.size());
    boolean force = false;
    for (Write<?> r : batch) {
      if (r.done()) {
        continue;
      }
      int mark = tx.mark();
      tx.reopen();
      try {
        if (RetriedWrite.alreadyStored(backend, base, r.audit)) { // a retry after an unknown outcome
          r.succeed(base.snapshot());
          continue;
        }
        r.apply(tx);
        applied.add(r);
        force |= r.force;
      } catch (RuntimeException | Error e) {
        tx.rollbackTo(mark);
        r.fail(e);
      }
    }
    tx.close();
    if (applied.isEmpty()) {
      return true;
    }
    if (tx.changes().isEmpty() && !force) {
      applied.forEach(r -> r.succeed(base.snapshot()));
      return true;
    }
    Metadata bm = base.snapshot().metadata();
    if (bm.serial() == Long.MAX_VALUE) {
      InvalidStateException e = new InvalidStateException(location(), List.of(new Violation("$.metadata.serial",
          "is " + Long.MAX_VALUE + ", the largest serial, so no later version can be written; start a new state from a copy of this one")));
      applied.forEach(r -> r.fail(e));
      return true;
    }
    Metadata meta = bm.withSerial(bm.serial() + 1, now);
    if (!meta.hasLineage()) {
      meta = meta.withLineage(UUID.randomUUID().toString());
    }
    Snapshot next = tx.finish(meta);
    try {
      validate(tx, next);
    } catch (InvalidStateException e) {
      if (applied.size() == 1) {
        applied.get(0).fail(e);
      } else {
        for (Write<?> r : applied) {
          commitAttempts(List.of(r));
        }
      }
      return true;
    }
    List<AuditEntry> audits = new ArrayList<>(applied.size());
    List<List<Change>> changes = new ArrayList<>(applied.size());
    for (Write<?> r : applied) {
      audits.add(r.audit);
      changes.add(tx.changesSince(r.from).subList(0, r.to - r.from));
    }
    AuditEntry resolved = GroupAudit.resolve(audits, changes, base.snapshot(), options.operator(), tx.locks());
    SaveResult saved = backend.save(new SaveRequest(base.token(), next, tx.changes(), resolved, writeId));
    contention.attempted(System.nanoTime() - started);
    if (saved instanceof SaveResult.Saved s) {
      current = new StoredState(next, s.token());
      applied.forEach(r -> r.succeed(next));
      return true;
    }
    SaveResult.Conflict conflict = (SaveResult.Conflict) saved;
    StoredState fresh = conflict.current().isPresent() ? conflict.current().get() : reload(base);
    current = checkLineage(base, fresh);
    if (attempt >= maxAttempts) {
      throw new ConflictException(
          "Could not write to "
              + location()
              + ": other writers changed it during each of "
              + attempt
              + " attempts ("
              + resolved.operation()
              + "). Nothing of this change was written; retry later, or raise"
              + " StateOptions.maxAttempts (" + maxAttempts + " here) if this contention is expected.",
          attempt);
    }
    Log.LOG.debug("Conflict writing {} at serial {} (attempt {}), retrying on serial {}",
        location(), bm.serial(), attempt, fresh.snapshot().metadata().serial());
    return false;
  }

  private StoredState reload(StoredState base) {
    Optional<StoredState> fresh = backend.load();
    if (fresh.isEmpty()) {
      if (base.token().exists()) {
        throw new CorruptStateException(
            location(),
            null,
            "State at " + location() + " has disappeared although version "
                + base.token().serial() + " was loaded from it; nothing was written. Restore it"
                + " from its backup or history.",
            null);
      }
      throw new BackendException(
          "Backend for " + location() + " reported a conflict but holds no state; this is a bug"
              + " in the backend.", null, false);
    }
    return fresh.get();
  }

  private StoredState checkLineage(StoredState base, StoredState fresh) {
    String had = base.snapshot().metadata().lineage();
    String found = fresh.snapshot().metadata().lineage();
    boolean persisted = base.token().exists();
    if (persisted && !had.isEmpty() && !had.equals(found)) {
      throw new LineageMismatchException(location(), had, found);
    }
    return fresh;
  }

  private void validate(StateTransaction tx, Snapshot next) {
    List<Violation> violations = new ArrayList<>();
    List<String> hostKeys = new ArrayList<>();
    List<String> resourceKeys = new ArrayList<>();
    tx.touched(hostKeys, resourceKeys);
    StructuralRules.checkMetadata(next.metadata(), violations);
    for (String k : hostKeys) {
      HostState h = next.hosts().get(k);
      if (h != null) {
        StructuralRules.checkHost(k, h, violations);
      }
    }
    for (String k : resourceKeys) {
      ResourceState r = next.resources().get(k);
      if (r != null) {
        StructuralRules.checkResource(k, r, violations);
      }
    }
    for (Validator v : options.validators()) {
      List<Violation> found = v.validate(next);
      if (found != null) {
        violations.addAll(found);
      }
    }
    if (!violations.isEmpty()) {
      throw new InvalidStateException(location(), violations);
    }
  }
}
