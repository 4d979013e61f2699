package io.infrastate;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Group commit for one state handle: writes that arrive while another write of the handle is
 * being persisted are committed together, as one version, by one of their callers. The single
 * entry point is {@link #commit(Request)}; how a group becomes a version is the committer's job.
 *
 * <p>Instances are thread-safe.
 *
 * @param <W> the handle's request type
 */
final class GroupCommit<W extends GroupCommit.Request> {
  /*
   * Design notes: how this stays correct under concurrency.
   *
   * LEADER AND FOLLOWERS (as LevelDB's write queue). A caller enqueues its request under the
   * short `groupLock`. If no leader is committing, it becomes the leader: it drains the queue
   * (its own request included, at most MAX_GROUP), releases `groupLock`, and hands the drained
   * requests to the committer under the handle's write lock. Otherwise it waits on its request's
   * condition until the request is done or it is its turn to lead. Writers that arrive while a
   * write is in flight thus share the next write.
   *
   * COMPLETION. The committer completes every request it is given (with success or an error);
   * whatever it leaves incomplete, or throws, fails the requests left. Only then does the leader
   * retake `groupLock`, signal each follower of its group and step down, so a follower never
   * needs the write lock to learn that it is done (finished followers would otherwise queue
   * behind the next group's durable write). A leader whose own request was cut from its group at
   * MAX_GROUP leads again; one that is done and steps down with requests still queued gives the
   * first of them the turn, so that exactly one queued caller wakes to lead (it waits again if
   * another writer took the lead first). No queued request is left without a leader.
   *
   * GATHERING. A leader whose previous group had several requests first waits a little for them
   * to come back (until as many are queued as the last group had, while writers keep arriving at
   * most GATHER_GAP_NANOS apart, at most half the last commit time and GATHER_MAX_NANOS): the
   * callers it just released would otherwise reach the queue a moment after it was drained, and
   * concurrent writers would settle into two alternating halves. A lone writer never waits.
   *
   * INTERRUPTS. A waiting caller is not woken by an interrupt: its change may already be in the
   * group being persisted, so it waits for the outcome and returns with its interrupt status set.
   */

  /** The most requests committed as one version. */
  public static final int MAX_GROUP = 256;

  private static final long GATHER_GAP_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
  private static final long GATHER_MAX_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

  private final ReentrantLock writeLock;
  private final boolean grouping;
  private final Consumer<List<W>> committer;
  private final ReentrantLock groupLock = new ReentrantLock();
  /** Requests waiting for a leader; guarded by groupLock. */
  private final ArrayDeque<W> pending = new ArrayDeque<>();
  /** Signalled when a request joins the queue, for a leader that gathers; with groupLock. */
  private final Condition arrived = groupLock.newCondition();
  /** Whether a leader is committing a group; guarded by groupLock. */
  private boolean leading;
  /** The size and commit time of the last group; guarded by groupLock. */
  private int lastGroupSize;
  private long lastCommitNanos;

  /**
   * Creates the group commit of one handle.
   *
   * @param writeLock the handle's write lock, held while the committer runs
   * @param grouping whether to coalesce concurrent requests; if not, each request is committed
   *     alone
   * @param committer commits a group as one version, with {@code writeLock} held; it should
   *     complete every request it is given
   */
  public GroupCommit(ReentrantLock writeLock, boolean grouping, Consumer<List<W>> committer) {
    this.writeLock = Objects.requireNonNull(writeLock, "writeLock");
    this.grouping = grouping;
    this.committer = Objects.requireNonNull(committer, "committer");
  }

  /**
   * Commits a request, alone or with others that arrive meanwhile, and returns when it is done:
   * its change is persisted, or it has failed ({@link Request#error()}).
   *
   * @param request the caller's request, new
   */
  public void commit(W request) {
    if (!grouping) {
      commitGroup(List.of(request));
      return;
    }
    groupLock.lock();
    try {
      request.wake = groupLock.newCondition();
      pending.add(request);
      arrived.signal();
      while (!request.done) {
        if (leading) {
          while (!request.done && !request.turn) {
            request.wake.awaitUninterruptibly();
          }
          request.turn = false;
          continue;
        }
        lead(request);
      }
    } finally {
      groupLock.unlock();
    }
  }

  /** Leads one group (groupLock held on entry and on return). */
  private void lead(W request) {
    leading = true;
    if (lastGroupSize > 1) {
      gather();
    }
    List<W> batch = new ArrayList<>(Math.min(pending.size(), MAX_GROUP));
    for (W r; batch.size() < MAX_GROUP && (r = pending.poll()) != null; ) {
      batch.add(r);
    }
    groupLock.unlock();
    long started = System.nanoTime();
    boolean completed = false;
    try {
      commitGroup(batch);
      completed = true;
    } finally {
      groupLock.lock();
      lastGroupSize = batch.size();
      lastCommitNanos = System.nanoTime() - started;
      leading = false;
      for (W r : batch) {
        if (r != request) {
          r.wake.signal();
        }
      }
      if (request.done || !completed) {
        W next = pending.peek();
        if (next != null) {
          next.turn = true;
          next.wake.signal();
        }
      }
      // else this leader's own request was cut from its group: it leads again
    }
  }

  /**
   * Waits a little for the writers of the last group to queue again (groupLock held; see
   * GATHERING).
   */
  private void gather() {
    long started = System.nanoTime();
    long deadline = started + Math.min(lastCommitNanos / 2, GATHER_MAX_NANOS);
    long gapEnd = started + GATHER_GAP_NANOS;
    int want = Math.min(lastGroupSize, MAX_GROUP);
    int seen = pending.size();
    while (seen < want) {
      long now = System.nanoTime();
      long left = Math.min(deadline - now, gapEnd - now);
      if (left <= 0) {
        return;
      }
      try {
        arrived.awaitNanos(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      int queued = pending.size();
      if (queued != seen) {
        seen = queued;
        gapEnd = System.nanoTime() + GATHER_GAP_NANOS;
      }
    }
  }

  /** Runs the committer under the write lock; fails whatever it left incomplete. */
  private void commitGroup(List<W> batch) {
    writeLock.lock();
    try {
      committer.accept(batch);
    } catch (RuntimeException | Error e) {
      for (W r : batch) {
        if (!r.done) {
          r.fail(e);
        }
      }
    } finally {
      writeLock.unlock();
    }
    IllegalStateException dropped = null;
    for (W r : batch) {
      if (!r.done) {
        dropped = dropped != null ? dropped : new IllegalStateException("the group commit left a write incomplete; this is a bug");
        r.fail(dropped);
      }
    }
  }

  /**
   * One caller's write, waiting in the queue until a leader completes it. Subclasses carry the
   * change and its result; a request is completed once, by {@link #succeeded()} or {@link
   * #fail(Throwable)}, by the thread running the committer.
   */
  public abstract static class Request {
    private Throwable error;
    /** Written after the outcome by the committing thread; read by the waiting caller. */
    volatile boolean done;
    /** Set (under groupLock) when the queue has no leader and this request is first in it. */
    boolean turn;
    /** Signalled (under groupLock) when the request is done or its turn to lead has come. */
    Condition wake;

    /** Creates a request. */
    protected Request() {}

    /**
     * Whether the request is complete.
     *
     * @return {@code true} once it succeeded or failed
     */
    public final boolean done() {
      return done;
    }

    /** Completes the request successfully (the subclass has recorded its result). */
    protected final void succeeded() {
      done = true;
    }

    /**
     * Completes the request with an error.
     *
     * @param e what the caller will get
     */
    public final void fail(Throwable e) {
      error = Objects.requireNonNull(e, "e");
      done = true;
    }

    /**
     * What the request failed with, once it is done.
     *
     * @return the error, or null if it succeeded
     */
    public final Throwable error() {
      return error;
    }
  }
}
