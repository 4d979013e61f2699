package io.infrastate.postgres;

import io.infrastate.spi.VersionToken;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write turn of a writer that lost the compare-and-swap: its open transaction holding the head
 * row's lock, kept for the retry of the same thread, and ended when the retry takes it, when the
 * thread takes another, after {@link #HOLD_MILLIS}, or when the backend closes.
 *
 * <p>Instances are thread-safe.
 */
final class Turns {
  /*
   * Design notes.
   *
   * THE TURN. A writer that loses the compare-and-swap takes the head row's lock (SELECT ... FOR
   * UPDATE, queued fairly by the server), reads what changed since its version while holding it,
   * and keeps that transaction open as its turn: State re-applies the change to the version
   * returned with the conflict, and the retry's save, from the same thread and expecting exactly
   * that version, runs in the held transaction and cannot lose again. So contention makes a
   * writer wait, never fail: every writer commits by its second attempt. A turn the thread does
   * not come back for (its change now fails, the process hangs) is rolled back after HOLD_MILLIS by
   * a background thread, and by the server after idle_in_transaction_session_timeout should the
   * whole process stall; a writer that dies releases it with its connection.
   */

  private static final Logger LOG = LoggerFactory.getLogger(PostgresBackend.class);

  /** How long a conflicted writer's turn waits for its retry before it is rolled back. */
  static final long HOLD_MILLIS = 1_000;

  /** The server-side bound on an abandoned turn, should the whole process stall. */
  static final String SERVER_TIMEOUT = "30s";

  private final Connections connections;
  private final Checkpoints checkpoints;
  private final String location;
  private final Object turnLock = new Object();
  private Turn turn;

  /** A conflicted writer's held transaction, with the head row locked. */
  record Turn(Connection connection, VersionToken token, Thread owner) {}

  Turns(Connections connections, Checkpoints checkpoints, String location) {
    this.connections = connections;
    this.checkpoints = checkpoints;
    this.location = location;
  }

  /**
   * Keeps {@code c}'s open transaction as this thread's turn for a retry expecting {@code token};
   * ends the turn it replaces, and schedules the turn's end after {@link #HOLD_MILLIS}.
   */
  void hold(Connection c, VersionToken token) {
    Turn t = new Turn(c, token, Thread.currentThread());
    Turn previous;
    synchronized (turnLock) {
      previous = turn;
      turn = t;
    }
    if (previous != null) {
      release(previous);
    }
    checkpoints.schedule(() -> expire(t), HOLD_MILLIS);
  }

  /** This thread's turn if it holds one for exactly {@code expected}; any other turn of it ends. */
  Turn take(VersionToken expected) {
    Turn t;
    synchronized (turnLock) {
      t = turn;
      if (t == null || t.owner() != Thread.currentThread()) {
        return null;
      }
      turn = null;
    }
    if (VersionToken.sameVersion(t.token(), expected)) {
      return t;
    }
    release(t);
    return null;
  }

  private void expire(Turn t) {
    synchronized (turnLock) {
      if (turn != t) {
        return;
      }
      turn = null;
    }
    LOG.debug("Rolling back an unused write turn on {} after {} ms", location, HOLD_MILLIS);
    release(t);
  }

  /** Rolls back a turn's transaction and gives its connection back. */
  void release(Turn t) {
    Connection c = t.connection();
    try {
      c.rollback();
      c.setAutoCommit(true);
      connections.giveBack(c);
    } catch (SQLException e) {
      connections.discard(c, e);
    }
  }

  /** Ends the turn held, if any. */
  void close() {
    Turn t;
    synchronized (turnLock) {
      t = turn;
      turn = null;
    }
    if (t != null) {
      release(t);
    }
  }
}
