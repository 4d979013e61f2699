package io.infrastate;

import io.infrastate.lock.Lock;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.lock.LockRequest;
import io.infrastate.lock.LockTimeoutException;
import io.infrastate.model.StateException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.ExclusiveWrites;
import io.infrastate.spi.WriteLeases;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a state handle's writer does when its compare-and-swap keeps losing: take the backend's
 * exclusive section, take the state's write lease, or back off. The handle's attempt loop asks
 * it, between attempts, through a {@link Turn}.
 *
 * <p>Not thread-safe: used only by the thread that holds the handle's write lock, except {@link
 * #close()}, which may be called from any thread.
 */
final class WriteContention {
  /*
   * Design notes: how writers make progress under contention.
   *
   * LOCAL BACKENDS (ExclusiveWrites: the file backends' sidecar lock, a local Git ref lock). The
   * first attempt is optimistic. After a conflict the writer takes the backend's exclusive
   * section and keeps it until its write is complete: it catches up with what was written
   * meanwhile, re-applies, saves; no other writer of the protocol can move the version in
   * between. The section is re-entrant for its holder, so the loads and saves inside it take it
   * again without waiting. A conflict inside the section comes from a writer outside the
   * protocol, and brought its version: the writer retries at once.
   *
   * REMOTE BACKENDS (WriteLeases: a Git remote, S3). The writer backs off for a random time up to
   * the measured cost of an attempt times 2^attempt (full jitter), and after its second conflict
   * takes the write lease and then retries at once on every further conflict. While the handle
   * met contention lately (a conflict, or the lease found taken, within CONTENDED_ATTEMPTS
   * attempts' time) it takes the lease before the first attempt, so that writers under sustained
   * contention queue instead of racing. A lease that cannot be had within its wait, or cannot be
   * taken at all, is not an error: the writer goes on without it. A backend whose section was
   * available once (local mode) never takes the lease: its section serializes writers cheaper.
   *
   * TENURE. A lease costs round trips to take and to release (a push each on a Git remote), so a
   * handle keeps it after a write that held it, for its next writes: up to TENURE_WRITES writes,
   * while the lease has at least half its time left, and for IDLE_ATTEMPTS attempts' time after
   * a write ends (a daemon timer releases it then, so that an idle handle does not hold others
   * off; begin() claims it back first, atomically; close() waits for a release under way, so that
   * nothing is written on the handle's behalf once it is closed). A write under a kept lease needs
   * no catch-up: writers that honour the lease (a Git remote's saves refuse to push while another
   * writer's lease is live) did not write meanwhile, and anyone else's write is an ordinary
   * conflict. At the end of its tenure the handle releases the lease and forgets the contention it
   * met, so that it does not take the lease before its next writes' first attempts and the writers
   * queued for it get it; it queues again only after a write conflicts twice.
   *
   * RELEASE AND LOCK ORDER. The section and the lease are held by one Turn, under the handle's
   * write lock, and released when it closes, exceptions included; a nested Turn (a group split
   * after a failed validation) reuses what its outer Turn holds. The order is always the handle's
   * write lock, then the backend's lock. A failure to release is logged: the write it ended is
   * stored.
   */

  /** Logs under the State's name, created on first use. */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger("io.infrastate.State");
  }

  private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  /** Conflicts after which a writer on a {@link WriteLeases} backend takes the write lease. */
  private static final int LEASE_AFTER_CONFLICTS = 2;
  private static final Duration MIN_LEASE = Duration.ofSeconds(15);
  private static final Duration MAX_LEASE = Duration.ofMinutes(2);
  private static final Duration MIN_LEASE_WAIT = Duration.ofSeconds(30);
  private static final Duration MAX_LEASE_WAIT = Duration.ofMinutes(10);
  /** How many attempts' time a handle that met contention keeps taking the lease first. */
  private static final int CONTENDED_ATTEMPTS = 32;
  private static final long MIN_CONTENDED_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /** How many writes a handle makes under one lease before it lets the next writer have it. */
  static final int TENURE_WRITES = 8;
  /** How many attempts' time a handle keeps the lease after a write, waiting for its next one. */
  private static final int IDLE_ATTEMPTS = 2;
  private static final long MIN_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Releases the leases kept by idle handles: one daemon thread, ended when it has nothing to do. */
  private static final class Releaser {
    static final ScheduledThreadPoolExecutor TIMER = timer();

    private static ScheduledThreadPoolExecutor timer() {
      ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
        Thread th = new Thread(r, "infrastate-write-lease-release");
        th.setDaemon(true);
        return th;
      });
      t.setKeepAliveTime(1, TimeUnit.SECONDS);
      t.allowCoreThreadTimeOut(true);
      t.setRemoveOnCancelPolicy(true);
      return t;
    }
  }

  /** A lease kept between writes, and how many writes were made under it. */
  private record Kept(Lock lock, int writes) {}

  private final Backend backend;
  private final String operator;
  private final Duration retryBackoff;
  /** The backend's write lock while a Turn holds it. */
  private ExclusiveWrites.Section exclusive;
  /** The write lease while a Turn holds it. */
  private Lock lease;
  /** How long the leases are taken for: 20 attempts' time, within bounds. */
  private Duration leaseLength = MIN_LEASE;
  /** Writes made under {@link #lease} before the current Turn. */
  private int leaseWrites;
  /** The lease between writes, until the idle timer or the next Turn takes it. */
  private final AtomicReference<Kept> kept = new AtomicReference<>();
  /**
   * Held by the idle timer while it releases a kept lease, and by {@link #close()}: once close
   * returns, no release is still under way (it would write to the backend after its handle closed).
   */
  private final Object releasing = new Object();
  /** Whether the backend has no exclusive section, or offered none when asked (a remote). */
  private boolean noSection;
  /** Created on the first lease; closed with the handle. */
  private volatile LockProvider leases;
  private volatile boolean closed;
  /** A moving average of how long an attempt took (apply, validate, save). */
  private long attemptNanos;
  /** Until when (System.nanoTime) writes take the write lease before their first attempt. */
  private long contendedUntil;
  private boolean contended;

  /**
   * Creates the contention policy of one handle.
   *
   * @param backend the handle's backend
   * @param operator the operator recorded on the write lease
   * @param retryBackoff the base backoff between attempts; zero turns backing off off
   */
  public WriteContention(Backend backend, String operator, Duration retryBackoff) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.operator = Objects.requireNonNull(operator, "operator");
    this.retryBackoff = Objects.requireNonNull(retryBackoff, "retryBackoff");
    this.noSection = !(backend instanceof ExclusiveWrites);
  }

  /**
   * Starts one write's attempts. If the handle met contention lately on a backend with write
   * leases, takes the lease first (and then runs {@code catchUp}).
   *
   * @param catchUp loads what was written since the handle's current version; run after the
   *     section or the lease is taken
   * @return the turn, to be closed when the write is complete
   */
  public Turn begin(Runnable catchUp) {
    Turn turn = new Turn(catchUp);
    if (lease != null) {
      return turn; // a nested Turn: its outer Turn holds what it needs
    }
    Kept k = kept.getAndSet(null);
    if (k != null) {
      turn.resume(k);
    } else if (noSection && contended && System.nanoTime() - contendedUntil < 0 && backend instanceof WriteLeases w) {
      // writers met contention a moment ago: queue for the lease now rather than lose a race first
      turn.holdLease(w);
    }
    return turn;
  }

  /**
   * Records how long an attempt took, for the backoff and the lease's times.
   *
   * @param nanos the attempt's duration
   */
  public void attempted(long nanos) {
    attemptNanos = attemptNanos == 0 ? nanos : (3 * attemptNanos + nanos) / 4;
  }

  /**
   * Releases a kept lease and closes the lease provider, if one was made; later leases are closed
   * as soon as made.
   */
  public void close() {
    closed = true;
    synchronized (releasing) {
      Kept k = kept.getAndSet(null);
      if (k != null) {
        release(k.lock()::close, "the write lease of");
      }
    }
    LockProvider l = leases;
    if (l != null) {
      l.close();
    }
  }

  /** Keeps the lease for the handle's next write, until it has been idle for a while. */
  private void keep(Lock l, int writes) {
    Kept k = new Kept(l, writes);
    kept.set(k);
    long idle = Math.min(Math.max(IDLE_ATTEMPTS * attemptNanos, MIN_IDLE_NANOS), MAX_IDLE_NANOS);
    try {
      Releaser.TIMER.schedule(() -> {
        synchronized (releasing) {
          if (kept.compareAndSet(k, null)) {
            release(l::close, "the write lease of");
          }
        }
      }, idle, TimeUnit.NANOSECONDS);
    } catch (RuntimeException e) {
      if (kept.compareAndSet(k, null)) {
        release(l::close, "the write lease of");
      }
    }
    if (closed && kept.compareAndSet(k, null)) {
      release(l::close, "the write lease of");
    }
  }

  /** Whether a lease has at least half of its time left. */
  private boolean fresh(Lock l) {
    Duration left = Duration.between(Instant.now(), l.info().expiresAt());
    return left.multipliedBy(2).compareTo(leaseLength) >= 0;
  }

  private void release(Runnable close, String what) {
    try {
      close.run();
    } catch (RuntimeException e) {
      Log.LOG.warn("Could not release {} {}; the writes made under it are stored: {}", what, backend.location(), e.toString());
    }
  }

  /**
   * One write's passage through the contention policy: holds what it took until closed.
   * Not thread-safe.
   */
  public final class Turn implements AutoCloseable {
    private final Runnable catchUp;
    private boolean tookSection;
    private boolean tookLease;

    private Turn(Runnable catchUp) {
      this.catchUp = Objects.requireNonNull(catchUp, "catchUp");
    }

    /**
     * After a conflict: takes the exclusive section, or the write lease once conflicts repeat, or
     * sleeps a random backoff; the caller then attempts again.
     *
     * @param attempt the number of the attempt that conflicted, from 1
     * @throws StateException if interrupted while backing off
     */
    public void conflicted(int attempt) {
      markContended();
      if (exclusive == null && backend instanceof ExclusiveWrites x) {
        Optional<ExclusiveWrites.Section> section = x.exclusive();
        if (section.isPresent()) {
          exclusive = section.get();
          tookSection = true;
          catchUp.run();
          return;
        }
        noSection = true;
      }
      if (exclusive != null) {
        return; // a writer outside the protocol moved it; the conflict brought its version
      }
      if (lease == null && attempt >= LEASE_AFTER_CONFLICTS && noSection && backend instanceof WriteLeases w && holdLease(w)) {
        return;
      }
      if (lease == null) {
        backoff(attempt);
      }
    }

    private boolean holdLease(WriteLeases w) {
      lease = takeLease(w);
      if (lease == null) {
        return false;
      }
      leaseWrites = 0;
      tookLease = true;
      catchUp.run();
      return true;
    }

    /** Holds a lease kept since the handle's last write (renewed if half of it has run out). */
    private void resume(Kept k) {
      Lock l = k.lock();
      if (!fresh(l)) {
        try {
          l.renew();
        } catch (RuntimeException e) {
          Log.LOG.debug("Could not renew the write lease of {}; writing without it: {}", backend.location(), e.toString());
          release(l::close, "the write lease of");
          return;
        }
      }
      lease = l;
      leaseWrites = k.writes();
      tookLease = true;
    }

    /** Releases the section and the lease this turn took. */
    @Override
    public void close() {
      if (tookSection) {
        ExclusiveWrites.Section s = exclusive;
        exclusive = null;
        tookSection = false;
        release(s::close, "the write lock of");
      }
      if (tookLease) {
        Lock l = lease;
        lease = null;
        tookLease = false;
        int writes = leaseWrites + 1;
        if (writes < TENURE_WRITES && !closed && fresh(l)) {
          keep(l, writes);
        } else {
          contended = false; // let the writers queued for it have it: take it again only after conflicts
          release(l::close, "the write lease of");
        }
      }
    }

    /**
     * Takes the write lease through the backend's lock provider, with a lease and a wait scaled
     * to the measured cost of an attempt; null if it could not be had.
     */
    private Lock takeLease(WriteLeases w) {
      long cost = Math.max(attemptNanos, TimeUnit.MILLISECONDS.toNanos(1));
      Duration leaseFor = clamp(Duration.ofNanos(cost).multipliedBy(20), MIN_LEASE, MAX_LEASE);
      leaseLength = leaseFor;
      Duration wait = clamp(Duration.ofNanos(cost).multipliedBy(200), MIN_LEASE_WAIT, MAX_LEASE_WAIT);
      try {
        LockProvider provider = leases;
        if (provider == null) {
          Duration poll = Duration.ofNanos(Math.max(cost / 2, TimeUnit.MILLISECONDS.toNanos(1)));
          provider = w.writeLeases(LockOptions.builder().operator(operator).pollInterval(poll, poll.multipliedBy(4)).build());
          leases = provider;
          if (closed) {
            provider.close();
          }
        }
        LockRequest request = LockRequest.builder().operation("write to " + backend.location() + " (writers take turns)").lease(leaseFor).build();
        Optional<Lock> free = provider.tryAcquire(WriteLeases.LEASE_NAME, request);
        if (free.isPresent()) {
          return free.get();
        }
        markContended(); // another writer holds it: contention goes on
        return provider.acquire(WriteLeases.LEASE_NAME, request, wait);
      } catch (LockTimeoutException e) {
        Log.LOG.info("Writing {} without the write lease, which other writers held all along: {}", backend.location(), e.getMessage());
        return null;
      } catch (RuntimeException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw e;
        }
        Log.LOG.warn("Could not take the write lease of {}; retrying without it: {}", backend.location(), e.toString());
        return null;
      }
    }

    /**
     * Sleeps a random time (full jitter) up to {@code unit * 2^attempt}, where the unit is the
     * configured base or the measured cost of an attempt, whichever is longer: writers whose
     * writes take long (a push, a PUT) spread out over that time instead of colliding again at
     * once. Capped at 250 ms or eight attempts' cost.
     */
    private void backoff(int attempt) {
      long base = retryBackoff.toNanos();
      if (base <= 0) {
        return;
      }
      long unit = Math.max(base, attemptNanos);
      long cap = Math.min(Math.max(MAX_BACKOFF_NANOS, 8 * attemptNanos), unit << Math.min(attempt, 20));
      long nanos = ThreadLocalRandom.current().nextLong(cap + 1);
      try {
        TimeUnit.NANOSECONDS.sleep(nanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StateException("Interrupted while retrying a write to " + backend.location(), e);
      }
    }
  }

  private void markContended() {
    contended = true;
    contendedUntil = System.nanoTime() + Math.max(MIN_CONTENDED_NANOS, CONTENDED_ATTEMPTS * attemptNanos);
  }

  private static Duration clamp(Duration d, Duration min, Duration max) {
    return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
  }
}
