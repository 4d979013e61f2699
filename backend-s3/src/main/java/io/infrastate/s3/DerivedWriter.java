package io.infrastate.s3;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the writes of derived objects (checkpoints, the readable copy) of one backend on a
 * background thread, in the order they were submitted, so that a commit returns without them.
 *
 * <p>A job marked {@code coalescible} (a readable copy alone) replaces a coalescible job queued
 * right before it that has not started: only the newest copy matters. Other jobs (checkpoints)
 * always run. {@link #close(Duration)} waits for every job submitted before it, up to a bound.
 */
final class DerivedWriter {
  /*
   * Design notes. One worker thread at most, started when a job arrives and ending after a short
   * idle time, so an idle backend holds no thread and jobs never run concurrently with each other
   * (the readable copy is never overwritten by an older one written by this backend). The thread
   * is a daemon: a process that exits without closing its backend abandons the queued jobs, which
   * is the torn sequence the backend already repairs (every derived object is rebuilt from the log
   * by the next load). A failing job is logged and the next one runs; nothing is thrown to a later
   * caller, since every version is durable before its job is queued. close() waits for the queued
   * jobs up to a bound (a server that hangs must not hang the caller's shutdown), then abandons the
   * rest the same way, interrupting the worker.
   */

  private static final Logger LOG = LoggerFactory.getLogger(DerivedWriter.class);

  /** A unit of background work. */
  interface Job {
    /** Whether a newer coalescible job may replace this one while it waits. */
    boolean coalescible();

    /** Does the work; failures are logged by the caller. */
    void run();
  }

  private final String location;
  private final ThreadPoolExecutor worker;
  private final ArrayDeque<Job> jobs = new ArrayDeque<>();
  private boolean running;
  private boolean closed;

  DerivedWriter(String location) {
    this.location = location;
    this.worker = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "infrastate-s3-derived");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Queues a job.
   *
   * @return false if this writer is closed (the job was not queued)
   */
  synchronized boolean submit(Job job) {
    if (closed) {
      return false;
    }
    Job last = jobs.peekLast();
    if (job.coalescible() && last != null && last.coalescible()) {
      jobs.pollLast();
    }
    jobs.addLast(job);
    if (!running) {
      running = true;
      worker.execute(this::drain);
    }
    return true;
  }

  private void drain() {
    while (true) {
      Job job;
      synchronized (this) {
        job = jobs.pollFirst();
        if (job == null) {
          running = false;
          notifyAll();
          return;
        }
      }
      try {
        job.run();
      } catch (RuntimeException e) {
        LOG.warn("Writing derived objects of {} failed: {}. The next write or load writes them again.",
            location, e.toString());
      }
    }
  }

  /**
   * Waits until every job submitted so far has run.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  synchronized void await() throws InterruptedException {
    while (running) {
      wait();
    }
  }

  /**
   * Refuses new jobs, waits for the queued ones at most {@code bound}, and stops the worker. Jobs
   * still queued or running after that are abandoned (logged at WARN): every derived object is
   * rebuilt from the log by a later load.
   *
   * @return whether every job ran
   */
  boolean close(Duration bound) {
    boolean interrupted = false;
    boolean done;
    long deadline = System.nanoTime() + bound.toNanos();
    synchronized (this) {
      closed = true;
      while (running) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          interrupted = true;
          break;
        }
      }
      done = !running;
      if (!done) {
        LOG.warn("Closing the backend of {} without waiting longer for its checkpoint and readable copy ({} jobs"
            + " left after {}); the next load writes them.", location, jobs.size() + 1, bound);
        jobs.clear();
      }
    }
    worker.shutdownNow();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return done;
  }
}
