package io.infrastate.lock;

import io.infrastate.model.StateException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The semantics of a {@link LockProvider} — leases, stale-lock takeover, holder-only release,
 * force-unlock, acquire with timeout, automatic renewal, name validation, WARN logging and {@link
 * LockListener} events, listing — on top of five storage primitives that a concrete provider implements:
 *
 * <ul>
 *   <li>{@link #readLock(String)}: the stored lock (held, stale or released) and its storage
 *       version, or empty;
 *   <li>{@link #readLocks()}: every stored lock (held, stale or released), for {@link #list()};
 *   <li>{@link #createLock(String, LockInfo)}: store a lock only if none is stored (an exclusive
 *       create, a conditional {@code If-None-Match: *} PUT, a commit whose push is not rejected);
 *   <li>{@link #replaceLock(String, LockRecord, LockInfo)}: overwrite a lock only if storage still
 *       holds the version read ({@code If-Match}, a compare under a file lock);
 *   <li>{@link #deleteLock(String, LockRecord)}: delete a lock only if storage still holds the
 *       version read. The provider itself never calls it: a released lock is replaced by a
 *       released record that carries its fencing token (see {@link LockInfo#released()}).
 * </ul>
 *
 * <p>Each primitive must be atomic with respect to every other process using the same storage;
 * that is the whole of a provider's concurrency duty. Names reaching the primitives have been
 * validated by {@link LockNames#validate(String)}. Primitives report storage failures as {@link
 * io.infrastate.model.BackendException} and damaged lock documents as {@link
 * io.infrastate.model.CorruptStateException} (use {@link LockInfoCodec}).
 *
 * <pre>{@code
 * final class MyLockProvider extends AbstractLockProvider {
 *   MyLockProvider(LockOptions options) { super(options); }
 *   protected Optional<LockRecord> readLock(String name) { ... }
 *   protected List<LockRecord> readLocks() { ... }
 *   protected boolean createLock(String name, LockInfo info) { ... }
 *   protected boolean replaceLock(String name, LockRecord expected, LockInfo next) { ... }
 *   protected boolean deleteLock(String name, LockRecord expected) { ... }
 *   public String location() { ... }
 * }
 * }</pre>
 *
 * <p>Instances are thread-safe, provided the primitives are.
 */
public abstract class AbstractLockProvider implements LockProvider {
  /*
   * Design notes: how this stays correct under concurrency and crashes.
   *
   * Every state change of a stored lock goes through one of three atomic primitives, each
   * conditional on what was read: create-if-absent, replace-if-unchanged, delete-if-unchanged.
   * Each public operation is a read followed by one conditional write; if the write's condition
   * fails, somebody else changed the lock in between, and the operation re-reads and decides
   * again (a bounded number of times). So:
   *
   *   acquire   = create-if-absent; else read; if the record is released, or the lease ended
   *               (clock.now >= expiresAt), replace-if-unchanged with our lock (takeover). Two
   *               contenders for a stale lock both read version V; only one
   *               replace-if-unchanged(V) succeeds.
   *   renew     = read; if it still carries our id, replace-if-unchanged with a later expiry.
   *   release   = read; if it still carries our id, replace-if-unchanged with a released record.
   *   forceUnl. = read; if it carries the given id, replace-if-unchanged with a released record.
   *
   * Fencing tokens: a lock written over a stored record (released or stale) carries the stored
   * token plus one; that write is conditional on the record read, so no two acquisitions of a
   * name ever get the same token, and each gets a larger one than every earlier acquisition.
   * This is why release keeps a released record instead of deleting it: the record carries the
   * count. A lock created where nothing is stored (the name's first acquisition, or after a
   * record was deleted by hand or by a version without tokens) starts at the acquisition time
   * in milliseconds since the epoch, so that a count lost with a deleted record restarts above
   * the tokens it handed out (each of which took far longer than a millisecond to acquire),
   * and states that recorded them do not refuse every later holder.
   *
   * Holder identity is the lock id, a random UUID that only the holder's Lock object knows, so a
   * holder whose lock was taken over can neither renew nor release the new holder's lock: it finds
   * another id and reports the loss. Within one Lock, renew and release are serialized by a mutex,
   * so the automatic renewal thread never races the holder's own release.
   *
   * Crashes: a holder that dies leaves its lock in storage; the lease bounds how long it blocks
   * others. Nothing here keeps state outside storage that a crash could lose, except the renewal
   * schedule, which dies with the process, as it should.
   *
   * Storage failures: a create or takeover that fails with a retryable error (a lost reply, a
   * server error) may still have taken effect, so the lock is read back before the failure is
   * reported: if it carries our new lock id, we hold it. A release that fails with a retryable
   * error is tried again a few times with backoff, since a lock left behind blocks everyone until
   * its lease ends; release is safe to repeat because it deletes only the record carrying our id.
   *
   * Time: leases are read from the injected Clock, since they are compared across processes and
   * machines; acquire timeouts and poll sleeps use System.nanoTime, since they only bound how long
   * this caller waits (a fake clock that never moves must not hang a waiting acquire).
   */

  /**
   * Holds the logger, created on first use: a run that logs nothing never starts SLF4J (about 20 ms
   * of a command-line tool's first load, and its warning when no provider is installed).
   */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(AbstractLockProvider.class);
  }

  /** How many times one operation re-reads after losing a race before it gives up. */
  private static final int MAX_RACES = 64;

  /**
   * How many times release tries when the storage fails with a retryable error (a dropped
   * connection, a server error), waiting {@link #RELEASE_BACKOFF}, then twice and four times as
   * long in between: a lock left behind blocks everyone until its lease ends.
   */
  private static final int RELEASE_ATTEMPTS = 4;

  private static final Duration RELEASE_BACKOFF = Duration.ofMillis(100);

  private final LockOptions options;
  private final ReentrantLock schedulerLock = new ReentrantLock();
  private ScheduledExecutorService scheduler;
  private volatile boolean closed;

  /**
   * Creates a provider.
   *
   * @param options clock, operator, listener, poll intervals
   */
  protected AbstractLockProvider(LockOptions options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  // ---------------------------------------------------------------- primitives

  /**
   * Reads the stored lock under a name.
   *
   * @param name a validated lock name
   * @return the lock and its storage version, or empty if none is stored
   * @throws io.infrastate.model.CorruptStateException if the stored lock cannot be parsed
   * @throws io.infrastate.model.BackendException if the storage fails
   */
  protected abstract Optional<LockRecord> readLock(String name);

  /**
   * Reads every lock stored at this provider's location: held, stale and released, in any order.
   * Need not be atomic: each record must be one that was stored, and a lock created, changed or
   * released while listing may be seen before or after the change.
   *
   * @return the stored records, one per name
   * @throws io.infrastate.model.CorruptStateException if a stored lock cannot be parsed
   * @throws io.infrastate.model.BackendException if the storage fails
   */
  protected abstract List<LockRecord> readLocks();

  /**
   * Stores a lock if no lock is stored under its name, atomically.
   *
   * @param name a validated lock name, equal to {@code info.name()}
   * @param info the lock to store
   * @return {@code true} if stored; {@code false} if a lock (any lock) is already stored
   * @throws io.infrastate.model.BackendException if the storage fails; nothing must then be stored, or
   *     the stored lock must be the complete {@code info}
   */
  protected abstract boolean createLock(String name, LockInfo info);

  /**
   * Replaces the stored lock with {@code next}, atomically, only if storage still holds what
   * {@code expected} describes (its version, or its content for providers without versions).
   *
   * @param name a validated lock name
   * @param expected the record read earlier
   * @param next the lock to store
   * @return {@code true} if replaced; {@code false} if the stored lock changed or vanished
   * @throws io.infrastate.model.BackendException if the storage fails
   */
  protected abstract boolean replaceLock(String name, LockRecord expected, LockInfo next);

  /**
   * Deletes the stored lock, atomically, only if storage still holds what {@code expected}
   * describes.
   *
   * @param name a validated lock name
   * @param expected the record read earlier
   * @return {@code true} if deleted; {@code false} if the stored lock changed or vanished
   * @throws io.infrastate.model.BackendException if the storage fails
   */
  protected abstract boolean deleteLock(String name, LockRecord expected);

  /**
   * Frees the provider's storage resources, called once by {@link #close()}. Does nothing by
   * default.
   */
  protected void closeStorage() {}

  // ---------------------------------------------------------------- LockProvider

  /**
   * The options this provider was built with.
   *
   * @return the options
   */
  public final LockOptions options() {
    return options;
  }

  /**
   * The clock leases are measured on.
   *
   * @return {@code options().clock()}
   */
  protected final Clock clock() {
    return options.clock();
  }

  @Override
  public final Lock acquire(String name, LockRequest request, Duration timeout) {
    LockNames.validate(name);
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("lock timeout must not be negative: " + timeout);
    }
    long start = System.nanoTime();
    long timeoutNanos = saturatedNanos(timeout);
    long poll = options.minPoll().toNanos();
    while (true) {
      checkOpen();
      Attempt a = attempt(name, request);
      if (a.lock != null) {
        return a.lock;
      }
      long remaining = timeoutNanos - (System.nanoTime() - start);
      if (remaining <= 0) {
        throw new LockTimeoutException(heldMessage(name, a.holder, timeout), a.holder, timeout);
      }
      long sleep = ThreadLocalRandom.current().nextLong(poll / 2, poll + 1);
      if (a.holder != null) {
        // Wake up right when the lease ends, if that comes first.
        long untilExpiry = Duration.between(clock().instant(), a.holder.expiresAt()).toNanos() + 1_000_000;
        if (untilExpiry > 0) {
          sleep = Math.min(sleep, untilExpiry);
        }
      }
      sleep = Math.max(1, Math.min(sleep, remaining));
      pause(sleep, "Interrupted while waiting for lock '" + name + "' at " + location() + "; it was not acquired.");
      poll = Math.min(poll * 2, options.maxPoll().toNanos());
    }
  }

  @Override
  public final Optional<Lock> tryAcquire(String name, LockRequest request) {
    LockNames.validate(name);
    Objects.requireNonNull(request, "request");
    checkOpen();
    return Optional.ofNullable(attempt(name, request).lock);
  }

  @Override
  public final Optional<LockInfo> inspect(String name) {
    LockNames.validate(name);
    return readLock(name).map(LockRecord::info).filter(i -> !i.released());
  }

  /**
   * {@inheritDoc}
   *
   * <p>Reads every stored record ({@link #readLocks()}), drops the released ones and sorts the
   * rest by name.
   */
  @Override
  public final List<LockInfo> list() {
    List<LockInfo> out = new ArrayList<>();
    for (LockRecord r : readLocks()) {
      if (!r.info().released()) {
        out.add(r.info());
      }
    }
    out.sort(Comparator.comparing(LockInfo::name));
    return List.copyOf(out);
  }

  /**
   * A handle on a lock acquired earlier, possibly by another process, given its id: what a
   * command-line tool needs when a script acquired the lock with one command and passes its id to
   * the next ones. The handle renews and releases the lock as its holder would, and can fence
   * writes ({@link io.infrastate.State#update(Lock, io.infrastate.model.AuditEntry,
   * java.util.function.Consumer)}); it never renews automatically.
   *
   * @param name the lock name
   * @param lockId the id the holder was given
   * @return the lock, or empty if no lock with that id is held under the name (released,
   *     force-unlocked or taken over); a lock whose lease ended but that nobody took over is
   *     returned, and {@link Lock#isHeld()} then says {@code false}
   * @throws IllegalArgumentException if the name breaks a naming rule
   * @throws io.infrastate.model.BackendException if the storage fails
   */
  public final Optional<Lock> attach(String name, String lockId) {
    LockNames.validate(name);
    Objects.requireNonNull(lockId, "lockId");
    checkOpen();
    return readLock(name)
        .map(LockRecord::info)
        .filter(i -> !i.released() && i.id().equals(lockId))
        .map(i -> new HeldLock(i, LockRequest.builder()
            .operator(i.operator())
            .operation(i.operation())
            .reason(i.reason())
            .lease(Duration.between(i.createdAt(), i.expiresAt()).isZero()
                ? Duration.ofNanos(1) : Duration.between(i.createdAt(), i.expiresAt()))
            .build()));
  }

  /**
   * The fencing token the next acquisition of a name would get if nobody acquired it first: the
   * stored token plus one, or a fresh start if nothing is stored. For monitoring and tests; a lock
   * acquired later may carry a larger token.
   *
   * @param name the lock name
   * @return the token, at least 1
   * @throws IllegalArgumentException if the name breaks a naming rule
   * @throws io.infrastate.model.BackendException if the storage fails
   */
  public final long nextToken(String name) {
    LockNames.validate(name);
    Instant now = clock().instant();
    return readLock(name).map(r -> following(r.info().token(), now)).orElseGet(() -> firstToken(now));
  }

  @Override
  public final boolean forceUnlock(String name, String lockId) {
    LockNames.validate(name);
    Objects.requireNonNull(lockId, "lockId");
    for (int race = 0; race < MAX_RACES; race++) {
      Optional<LockRecord> rec = readLock(name);
      if (rec.isEmpty() || rec.get().info().released() || !rec.get().info().id().equals(lockId)) {
        return false;
      }
      if (replaceLock(name, rec.get(), rec.get().info().releasedAt(clock().instant()))) {
        LockInfo removed = rec.get().info();
        Log.LOG.warn("Force-unlocked lock '{}' at {} by {}: removed the lock of {}",
            name, location(), options.operator(), removed.describe());
        fire(l -> l.onForceUnlock(removed, options.operator()), "force-unlock", name);
        return true;
      }
    }
    throw contended(name, "force-unlock");
  }

  /**
   * Stops automatic renewal, then frees storage resources. Locks still held are not released.
   */
  @Override
  public final void close() {
    if (closed) {
      return;
    }
    closed = true;
    schedulerLock.lock();
    try {
      if (scheduler != null) {
        scheduler.shutdownNow();
      }
    } finally {
      schedulerLock.unlock();
    }
    closeStorage();
  }

  // ---------------------------------------------------------------- internals

  /** One acquisition attempt's outcome: a lock, or the holder that refused it (may be null). */
  private static final class Attempt {
    final HeldLock lock;
    final LockInfo holder;

    Attempt(HeldLock lock, LockInfo holder) {
      this.lock = lock;
      this.holder = holder;
    }
  }

  private Attempt attempt(String name, LockRequest request) {
    LockInfo last = null;
    LockInfo takenFrom = null;
    LockInfo takeover = null;
    for (int race = 0; race < MAX_RACES; race++) {
      Instant now = clock().instant();
      LockInfo mine = newInfo(name, request, now, firstToken(now));
      if (stored(name, mine, () -> createLock(name, mine))) {
        return new Attempt(created(name, mine, request), null);
      }
      Optional<LockRecord> rec = readLock(name);
      if (rec.isEmpty()) {
        continue; // deleted in between: try to create again
      }
      LockInfo holder = rec.get().info();
      // A write of ours that reported "not stored" may have been stored: a storage client that
      // retried it after a lost reply finds our own lock. The lock id tells.
      if (holder.id().equals(mine.id()) && !holder.released()) {
        return new Attempt(created(name, mine, request), null);
      }
      if (takeover != null && holder.id().equals(takeover.id()) && !holder.released()) {
        return new Attempt(takenFrom == null
            ? created(name, takeover, request)
            : tookOver(name, takenFrom, takeover, request), null);
      }
      LockRecord seen = rec.get();
      LockInfo next = mine.withToken(following(holder.token(), now));
      if (holder.released()) {
        // free: the released record only carries the count on
        if (stored(name, next, () -> replaceLock(name, seen, next))) {
          return new Attempt(created(name, next, request), null);
        }
        takenFrom = null;
        takeover = next;
        continue;
      }
      last = holder;
      if (!holder.isExpired(now)) {
        return new Attempt(null, holder);
      }
      if (stored(name, next, () -> replaceLock(name, seen, next))) {
        return new Attempt(tookOver(name, holder, next, request), null);
      }
      // somebody else renewed, released or took it over in between: decide again (or our
      // takeover was stored and reported otherwise: the next read tells)
      takenFrom = holder;
      takeover = next;
    }
    return new Attempt(null, last);
  }

  /** The token of a lock created where no record is stored; see the design notes. */
  private static long firstToken(Instant now) {
    return Math.max(1, now.toEpochMilli());
  }

  /** The token of a lock written over a record carrying {@code previous}. */
  private static long following(long previous, Instant now) {
    if (previous <= 0) {
      return firstToken(now); // a lock written without tokens
    }
    if (previous == Long.MAX_VALUE) {
      throw new IllegalStateException("lock token overflow: the stored token is " + previous);
    }
    return previous + 1;
  }

  private HeldLock created(String name, LockInfo mine, LockRequest request) {
    fire(l -> l.onAcquire(mine), "acquire", name);
    return held(mine, request);
  }

  private HeldLock tookOver(String name, LockInfo previous, LockInfo mine, LockRequest request) {
    Log.LOG.warn("Took over stale lock '{}' at {}: its lease ended at {} (previous holder: {}); new holder: {}",
        name, location(), previous.expiresAt(), previous.describe(), mine.describe());
    fire(l -> l.onTakeover(previous, mine), "takeover", name);
    return held(mine, request);
  }

  /**
   * Runs a create or takeover of {@code mine}. A retryable failure may hide a write that took
   * effect (the reply was lost on the way back); the lock id tells, so the stored lock is read
   * before the failure is reported: a lock of ours that nobody knows about would block everyone
   * until its lease ends.
   */
  private boolean stored(String name, LockInfo mine, java.util.function.BooleanSupplier write) {
    try {
      return write.getAsBoolean();
    } catch (StateException e) {
      if (!e.retryable()) {
        throw e;
      }
      Optional<LockRecord> now;
      try {
        now = readLock(name);
      } catch (RuntimeException again) {
        e.addSuppressed(again);
        Log.LOG.warn("Acquiring lock '{}' at {} failed and its outcome is unknown; if the lock was stored, it"
                + " carries id {} and its lease ends at {} (an operator may run forceUnlock(\"{}\", \"{}\")): {}",
            name, location(), mine.id(), mine.expiresAt(), name, mine.id(), e.getMessage());
        throw e;
      }
      if (now.isPresent() && now.get().info().id().equals(mine.id())) {
        Log.LOG.info("Acquiring lock '{}' at {} reported a failure but had taken effect: {}", name, location(), e.getMessage());
        return true;
      }
      throw e;
    }
  }

  private LockInfo newInfo(String name, LockRequest request, Instant now, long token) {
    String operator = request.operator().isEmpty() ? options.operator() : request.operator();
    return new LockInfo(
        "lock_" + UUID.randomUUID(),
        name,
        operator,
        request.operation(),
        request.reason(),
        now,
        plus(now, request.lease()),
        options.pid(),
        options.hostname(),
        token,
        false);
  }

  private HeldLock held(LockInfo info, LockRequest request) {
    HeldLock lock = new HeldLock(info, request);
    if (request.autoRenews()) {
      lock.renewal = scheduler().scheduleWithFixedDelay(
          lock::autoRenew, request.renewEvery().toNanos(), request.renewEvery().toNanos(), TimeUnit.NANOSECONDS);
    }
    return lock;
  }

  private ScheduledExecutorService scheduler() {
    schedulerLock.lock();
    try {
      checkOpen();
      if (scheduler == null) {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
          Thread t = new Thread(r, "infrastate-lock-renewal");
          t.setDaemon(true);
          return t;
        });
        s.setRemoveOnCancelPolicy(true);
        scheduler = s;
      }
      return scheduler;
    } finally {
      schedulerLock.unlock();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("Lock provider for " + location() + " is closed");
    }
  }

  private String heldMessage(String name, LockInfo holder, Duration waited) {
    if (holder == null) {
      return "Could not acquire lock '" + name + "' at " + location() + " within " + waited
          + ": other requesters kept changing it. Retry later.";
    }
    Instant now = clock().instant();
    String state = holder.isExpired(now) ? "was held (its lease has just ended)" : "is held";
    return "Lock '" + name + "' at " + location() + " " + state + " by " + holder.describe()
        + "; waited " + waited + ". Wait until it is released or its lease ends at "
        + holder.expiresAt() + "; if its holder is known to be gone, an operator may run"
        + " forceUnlock(\"" + name + "\", \"" + holder.id() + "\").";
  }

  private StateException contended(String name, String what) {
    return new StateException(
        "Could not " + what + " lock '" + name + "' at " + location() + ": it changed on each of "
            + MAX_RACES + " attempts. Retry later.") {
      private static final long serialVersionUID = 1L;

      @Override
      public boolean retryable() {
        return true;
      }
    };
  }

  private void fire(java.util.function.Consumer<LockListener> event, String what, String name) {
    try {
      event.accept(options.listener());
    } catch (RuntimeException e) {
      Log.LOG.warn("Lock listener failed on {} of lock '{}' at {}; the {} itself took effect",
          what, name, location(), what, e);
    }
  }

  /** Sleeps; on interruption keeps the interrupt flag and throws a {@link StateException}. */
  private static void pause(long nanos, String interruptedMessage) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StateException(interruptedMessage, e);
    }
  }

  private static Instant plus(Instant now, Duration lease) {
    try {
      return now.plus(lease);
    } catch (ArithmeticException | java.time.DateTimeException e) {
      return Instant.MAX;
    }
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** A held lock; renew and release are serialized by {@code mutex}. */
  private final class HeldLock implements Lock {
    private final String name;
    private final String id;
    private final LockRequest request;
    private final ReentrantLock mutex = new ReentrantLock();
    private volatile LockInfo info;
    private volatile boolean released;
    private volatile ScheduledFuture<?> renewal;

    HeldLock(LockInfo info, LockRequest request) {
      this.name = info.name();
      this.id = info.id();
      this.info = info;
      this.request = request;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public LockInfo info() {
      return info;
    }

    @Override
    public long token() {
      return info.token();
    }

    @Override
    public LockInfo renew() {
      return renew(request.lease());
    }

    @Override
    public LockInfo renew(Duration lease) {
      Objects.requireNonNull(lease, "lease");
      if (lease.isNegative() || lease.isZero()) {
        throw new IllegalArgumentException("lock lease must be positive: " + lease);
      }
      mutex.lock();
      try {
        if (released) {
          throw new IllegalStateException("Lock '" + name + "' (" + id + ") was already released");
        }
        for (int race = 0; race < MAX_RACES; race++) {
          Optional<LockRecord> rec = readLock(name);
          if (rec.isEmpty() || rec.get().info().released() || !rec.get().info().id().equals(id)) {
            LockInfo current = rec.map(LockRecord::info).filter(i -> !i.released()).orElse(null);
            lost(current, "renewed");
            throw new LockHeldException(lostMessage(current, "renew"), current);
          }
          LockInfo stored = rec.get().info();
          Instant until = plus(clock().instant(), lease);
          LockInfo next = stored.withExpiresAt(until.isBefore(stored.createdAt()) ? stored.createdAt() : until);
          if (replaceLock(name, rec.get(), next)) {
            info = next;
            return next;
          }
        }
        throw contended(name, "renew");
      } finally {
        mutex.unlock();
      }
    }

    @Override
    public boolean isHeld() {
      if (released) {
        return false;
      }
      Optional<LockRecord> rec = readLock(name);
      return rec.isPresent()
          && rec.get().info().id().equals(id)
          && !rec.get().info().released()
          && !rec.get().info().isExpired(clock().instant());
    }

    @Override
    public boolean release() {
      mutex.lock();
      try {
        if (released) {
          return false;
        }
        ScheduledFuture<?> r = renewal;
        if (r != null) {
          r.cancel(false);
        }
        for (int failures = 0; ; failures++) {
          try {
            return releaseOnce();
          } catch (StateException e) {
            if (!e.retryable() || failures + 1 >= RELEASE_ATTEMPTS) {
              Log.LOG.warn("Could not release lock '{}' at {}: it stays until its lease ends at {}, unless released"
                      + " again or an operator runs forceUnlock(\"{}\", \"{}\")",
                  name, location(), info.expiresAt(), name, id, e);
              throw e;
            }
            pause(RELEASE_BACKOFF.multipliedBy(1L << failures).toNanos(), "Interrupted while releasing lock '"
                + name + "' at " + location() + "; it is still held: release it again, or it stays until its lease"
                + " ends at " + info.expiresAt() + ".");
          }
        }
      } finally {
        mutex.unlock();
      }
    }

    private boolean releaseOnce() {
      for (int race = 0; race < MAX_RACES; race++) {
        Optional<LockRecord> rec = readLock(name);
        if (rec.isEmpty() || rec.get().info().released() || !rec.get().info().id().equals(id)) {
          released = true;
          lost(rec.map(LockRecord::info).filter(i -> !i.released()).orElse(null), "released");
          return false;
        }
        if (replaceLock(name, rec.get(), rec.get().info().releasedAt(clock().instant()))) {
          released = true;
          LockInfo last = rec.get().info();
          fire(l -> l.onRelease(last), "release", name);
          return true;
        }
      }
      throw contended(name, "release");
    }

    @Override
    public void close() {
      release();
    }

    void autoRenew() {
      try {
        renew();
      } catch (LockHeldException e) {
        cancelRenewal();
      } catch (IllegalStateException e) {
        cancelRenewal(); // released or provider closed
      } catch (RuntimeException e) {
        Log.LOG.warn("Automatic renewal of lock '{}' at {} failed; will retry in {}: {}",
            name, location(), request.renewEvery(), e.toString());
      }
    }

    private void cancelRenewal() {
      ScheduledFuture<?> r = renewal;
      if (r != null) {
        r.cancel(false);
      }
    }

    private void lost(LockInfo current, String when) {
      LockInfo mine = info;
      Log.LOG.warn("Lock '{}' at {} was no longer held by this holder when {}: {}. This holder: {}."
              + " The operation it protected ran partly unprotected.",
          name, location(), when,
          current == null ? "it had been removed (force-unlocked)" : "it is now held by " + current.describe(),
          mine.describe());
      fire(l -> l.onLost(mine, current), "loss", name);
    }

    private String lostMessage(LockInfo current, String what) {
      return "Cannot " + what + " lock '" + name + "' at " + location() + ": "
          + (current == null
              ? "it was force-unlocked or removed"
              : "its lease ended at " + info.expiresAt() + " and it was taken over by " + current.describe())
          + ". This holder (lock id " + id + ") no longer holds it; stop the operation it protects,"
          + " or acquire the lock again.";
    }

    @Override
    public String toString() {
      return "Lock[" + name + ", " + id + ", token " + info.token() + (released ? ", released" : "") + "]";
    }
  }
}
