package io.infrastate.postgres;

import io.infrastate.postgres.PostgresException.Problem;
import java.net.ConnectException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;
import javax.sql.DataSource;

/**
 * Where the backend and the lock provider get their connections, and how driver failures become
 * {@link PostgresException}s.
 *
 * <p>With a caller's {@link DataSource} (a pool such as HikariCP) a connection is taken for each
 * operation and closed after it, which returns it to that pool. With a URI or host settings the
 * data source is pgjdbc's own, which opens a new connection each time, so up to {@link #MAX_IDLE}
 * idle connections are kept here for reuse.
 *
 * <p>A connection the server dropped (a restart, a failover, an idle timeout) is noticed by the
 * first statement that uses it: that failure drops every idle connection, since they went the same
 * way, and {@link #run} tries the operation once more on a new connection.
 *
 * <p>Instances are thread-safe; each connection is used by one thread at a time.
 */
final class Connections implements AutoCloseable {
  /** The most idle connections kept for reuse. */
  static final int MAX_IDLE = 8;

  /** One database operation on a connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final DataSource source;
  private final boolean keepIdle;
  private final String where;
  private final Deque<Connection> idle = new ConcurrentLinkedDeque<>();
  private volatile boolean closed;

  /**
   * @param source where connections come from
   * @param keepIdle whether to keep idle connections (false for a caller's pool)
   * @param where the server, database and schema, for messages (no credentials)
   */
  Connections(DataSource source, boolean keepIdle, String where) {
    this.source = source;
    this.keepIdle = keepIdle;
    this.where = where;
  }

  String where() {
    return where;
  }

  /** A connection in auto-commit mode. */
  Connection borrow() throws SQLException {
    if (closed) {
      throw new IllegalStateException("The PostgreSQL backend for " + where + " is closed");
    }
    Connection c = idle.pollFirst();
    if (c == null) {
      c = source.getConnection();
    }
    if (!c.getAutoCommit()) {
      c.setAutoCommit(true);
    }
    return c;
  }

  /** Returns a healthy connection in auto-commit mode after use. */
  void giveBack(Connection c) {
    if (keepIdle && !closed && idle.size() < MAX_IDLE) {
      idle.offerFirst(c);
      if (!closed) {
        return;
      }
      idle.remove(c);
    }
    closeQuietly(c);
  }

  /** Throws away a connection after a failure; a broken one takes the idle ones with it. */
  void discard(Connection c, SQLException cause) {
    closeQuietly(c);
    if (cause == null || broken(cause)) {
      dropIdle();
    }
  }

  /**
   * Runs read-only or single-statement work on a connection, once more on a new connection if the
   * first one turns out to be broken. The work must be safe to repeat.
   *
   * @param what the operation, for messages
   */
  <T> T run(String what, Work<T> work) {
    SQLException first = null;
    for (int attempt = 0; attempt < 2; attempt++) {
      Connection c;
      try {
        c = borrow();
      } catch (SQLException e) {
        throw translate(e, what);
      }
      try {
        T result = work.run(c);
        giveBack(c);
        return result;
      } catch (SQLException e) {
        discard(c, e);
        if (!broken(e) || attempt > 0) {
          throw translate(e, what);
        }
        first = e;
      } catch (RuntimeException | Error e) {
        discard(c, null);
        throw e;
      }
    }
    throw translate(first, what);
  }

  /** Whether a failure means the connection is gone (the server restarted, the network broke). */
  static boolean broken(SQLException e) {
    String s = e.getSQLState();
    return s == null || s.startsWith("08") || s.startsWith("57P");
  }

  /** Whether a failure says that a relation or schema does not exist. */
  static boolean missing(SQLException e) {
    return "42P01".equals(e.getSQLState()) || "3F000".equals(e.getSQLState());
  }

  /** A typed exception for a driver failure, saying what to check. */
  PostgresException translate(SQLException e, String what) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String detail = firstLine(e.getMessage());
    String prefix = "Could not " + what + " at " + where + ": " + detail + ". ";
    if (state.equals("28P01") || state.equals("28000") || state.equals("08004")) {
      return new PostgresException(Problem.AUTHENTICATION, state, prefix
          + "The server rejected the login: check the user name and the password given by PGPASSWORD,"
          + " ~/.pgpass (or PGPASSFILE) or the DataSource, and the server's pg_hba.conf. Nothing was changed.",
          e, false);
    }
    if (state.equals("25006")) {
      return new PostgresException(Problem.READ_ONLY, state, prefix
          + "The server accepts only reads (a hot standby, or default_transaction_read_only is on):"
          + " point the URI at the primary server. Nothing was changed.", e, false);
    }
    if (state.equals("40001") || state.equals("40P01")) {
      return new PostgresException(Problem.SERIALIZATION, state, prefix
          + "The server aborted the transaction because of a concurrent one; nothing was changed."
          + " Retry the operation.", e, true);
    }
    if (state.equals("42501")) {
      return new PostgresException(Problem.PERMISSION, state, prefix
          + "The role lacks a privilege: grant it USAGE on the schema and SELECT, INSERT, UPDATE and DELETE"
          + " on its tables (see schema.sql). Nothing was changed.", e, false);
    }
    if (missing(e)) {
      return new PostgresException(Problem.SCHEMA_MISSING, state, prefix
          + "The schema or one of its tables does not exist: create it with schema.sql, or let the"
          + " backend create it (createSchema=true). Nothing was changed.", e, false);
    }
    if (state.startsWith("08") || state.startsWith("57P") || hasCause(e, ConnectException.class)) {
      return new PostgresException(Problem.CONNECTION, state, prefix
          + "Check that the server is running and accepts connections at that address (listen_addresses,"
          + " pg_hba.conf, firewall), then retry. Nothing was changed.", e, true);
    }
    return new PostgresException(Problem.OTHER, state, prefix + "Nothing was changed.", e, false);
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  static String firstLine(String message) {
    if (message == null) {
      return "unknown error";
    }
    int nl = message.indexOf('\n');
    String s = (nl < 0 ? message : message.substring(0, nl)).strip();
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  private void dropIdle() {
    Connection c;
    while ((c = idle.pollFirst()) != null) {
      closeQuietly(c);
    }
  }

  /** Ends the transaction mode a write turn or an edit recording set. */
  static void restoreAutoCommit(Connection c) throws SQLException {
    c.setAutoCommit(true);
  }

  /** Rolls back an open transaction, ignoring failures: the connection is discarded next. */
  static void rollbackQuietly(Connection c) {
    try {
      if (!c.getAutoCommit()) {
        c.rollback();
      }
    } catch (SQLException | RuntimeException e) {
      // the connection is discarded next
    }
  }

  static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException | RuntimeException e) {
      // already broken: nothing to free
    }
  }

  @Override
  public void close() {
    closed = true;
    dropIdle();
  }
}
