package io.infrastate.postgres;

import io.infrastate.model.Snapshot;
import io.infrastate.postgres.PostgresException.Problem;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Commits versions: the compare-and-swap statement that advances the head and inserts the version
 * (with its checkpoint for a full version), the retry on a new connection when the connection
 * breaks, the conflict path that finds a lost reply's own row or holds the head row's lock as the
 * writer's turn ({@link Turns}), and the checkpoint due after a commit ({@link Checkpoints}).
 *
 * <p>Instances are thread-safe; a connection is used by one call at a time.
 */
final class Committer {
  /*
   * Design notes.
   *
   * THE COMMIT. Version N exists exactly when its versions row exists, and the head row of the
   * state says which version is the latest. A writer that loaded version N-1 commits N with one
   * statement (one implicit transaction):
   *   WITH h AS (UPDATE states SET serial = N ... WHERE state = ? AND serial = N-1 AND lineage = ?
   *              RETURNING state)
   *   INSERT INTO versions (...) SELECT ... FROM h
   * It inserts a row only if the head still held N-1. PostgreSQL runs concurrent UPDATEs of one
   * row one after another: a second writer waits for the first to commit, then re-checks its
   * WHERE clause against the new row and updates nothing. So exactly one writer commits N: no lost
   * updates, across threads, processes and machines. The first version inserts the head row
   * instead (INSERT ... ON CONFLICT DO NOTHING), so two creators cannot both win. A full version
   * (the first, a replacement, a new lineage) adds its checkpoint row in the same statement. The
   * server's commit (synchronous_commit as the server is configured, on by default) makes it
   * durable before the statement returns.
   *
   * AMBIGUOUS COMMITS. Each save carries a random write id, stored in its versions row. If the
   * connection breaks while the statement or its commit is in flight, the save tries again on a
   * new connection with the same id; if the first attempt had committed, the retry conflicts and
   * the conflict path finds version N with this write's id and reports it saved. Only if the
   * server stays unreachable does the save throw, with Problem.OUTCOME_UNKNOWN; the next load
   * shows whether version N holds the change. A connection that breaks before anything was sent
   * (refused, authentication) stores nothing and says so.
   */

  private final Connections connections;
  private final Schema schema;
  private final String state;
  private final VersionRows rows;
  private final Checkpoints checkpoints;
  private final Turns turns;
  private final String sqlHead;
  private final String sqlWriteId;

  Committer(Connections connections, Schema schema, String state, VersionRows rows, Checkpoints checkpoints,
      Turns turns) {
    this.connections = connections;
    this.schema = schema;
    this.state = state;
    this.rows = rows;
    this.checkpoints = checkpoints;
    this.turns = turns;
    this.sqlHead = "SELECT serial, lineage, " + RowHash.intact("", RowHash.states("")) + " FROM " + schema.table("states")
        + " WHERE state = ? FOR UPDATE";
    this.sqlWriteId = "SELECT write_id FROM " + schema.table("versions") + " WHERE state = ? AND serial = ?";
  }

  /**
   * Saves a version expected on an ordinary token: in this thread's turn if it holds one for
   * exactly that version, else by compare-and-swap on a connection of its own.
   */
  SaveResult save(SaveRequest req) {
    Delta delta = Delta.of(req);
    String writeId = UUID.randomUUID().toString();
    Turns.Turn held = turns.take(req.expected());
    boolean maybeSent = false;
    if (held != null) {
      Connection c = held.connection();
      try {
        int rows = write(c, req, delta, writeId);
        maybeSent = true;
        if (rows == 1) {
          c.commit();
          Connections.restoreAutoCommit(c);
          connections.giveBack(c);
          return saved(req, delta);
        }
        c.rollback();
        Connections.restoreAutoCommit(c);
        connections.giveBack(c);
      } catch (SQLException e) {
        Connections.rollbackQuietly(c);
        connections.discard(c, e);
        if (!Connections.broken(e)) {
          throw connections.translate(e, "write version " + req.snapshot().metadata().serial() + " of state '" + state + "'");
        }
        maybeSent = true;
      }
    }
    return saveOptimistic(req, delta, writeId, maybeSent);
  }

  private SaveResult saveOptimistic(SaveRequest req, Delta delta, String writeId, boolean maybeSent) {
    long serial = req.snapshot().metadata().serial();
    String what = "write version " + serial + " of state '" + state + "'";
    SQLException last = null;
    for (int attempt = 0; attempt < 2; attempt++) {
      Connection c;
      try {
        c = connections.borrow();
      } catch (SQLException e) {
        last = e;
        if (Connections.broken(e) && attempt == 0 && !maybeSent) {
          continue;
        }
        break;
      }
      try {
        schema.writable(c);
        maybeSent = true;
        int rows;
        try {
          rows = write(c, req, delta, writeId);
        } catch (SQLException e) {
          if (!serializationFailure(e)) {
            throw e;
          }
          rows = 0; // under SERIALIZABLE or REPEATABLE READ a moved head fails the statement instead
        }
        if (rows == 1) {
          connections.giveBack(c);
          return saved(req, delta);
        }
        return conflict(c, req, writeId, delta);
      } catch (SQLException e) {
        Connections.rollbackQuietly(c);
        connections.discard(c, e);
        if (!Connections.broken(e)) {
          throw connections.translate(e, what);
        }
        last = e;
      } catch (RuntimeException | Error e) {
        Connections.rollbackQuietly(c);
        connections.discard(c, null);
        throw e;
      }
    }
    if (maybeSent) {
      throw new PostgresException(Problem.OUTCOME_UNKNOWN, last == null ? "" : last.getSQLState(),
          "Lost the connection to " + connections.where() + " while writing version " + serial + " of state '" + state
              + "' (" + Connections.firstLine(last == null ? null : last.getMessage()) + "), and could not reconnect"
              + " to learn whether it was stored. The in-memory state is unchanged; the next load shows whether"
              + " version " + serial + " holds this change. Check that the server is running, then retry.",
          last, true);
    }
    throw connections.translate(last, what);
  }

  /** Runs the compare-and-swap statement: 1 if the version was stored, 0 if the head moved. */
  int write(Connection c, SaveRequest req, Delta delta, String writeId) throws SQLException {
    Snapshot next = req.snapshot();
    long serial = next.metadata().serial();
    String lineage = next.metadata().lineage();
    Timestamp now = Timestamp.from(next.metadata().updatedAt());
    String states = schema.table("states");
    String head;
    List<Object> params = new ArrayList<>();
    if (req.expected().exists()) {
      // the head and the versions rows a load replays must be as infrastate wrote them, with no row
      // beyond the head: else SQL changed them, and the conflict path loads the external edit
      String vers = schema.table("versions");
      boolean foreign = req.expected() instanceof RowEdits.Foreign;
      head = "UPDATE " + states + " SET serial = ?, lineage = ?, written_at = ?, content_hash = " + RowHash.headParams()
          + " WHERE state = ? AND serial = ? AND lineage = ? AND "
          + (foreign ? "content_hash IS NULL" : RowHash.intact("", RowHash.states("")))
          + " AND NOT EXISTS (SELECT 1 FROM " + vers + " x WHERE x.state = ? AND "
          + (foreign ? "x.serial > ?" : "x.serial > (SELECT coalesce(max(k.serial), -1) FROM " + schema.table("checkpoints")
              + " k WHERE k.state = ? AND k.serial <= ?) AND (x.serial > ? OR NOT "
              + RowHash.intact("x.", RowHash.versions("x.")) + ")") // one index range: the rows a load replays
          + ") RETURNING state";
      params.addAll(List.of(serial, lineage, now, state, serial, lineage, state, req.expected().serial(),
          req.expected().lineage(), state));
      if (!foreign) {
        params.addAll(List.of(state, req.expected().serial()));
      }
      params.add(req.expected().serial());
    } else {
      head = "INSERT INTO " + states + " (state, serial, lineage, written_at, content_hash) VALUES (?, ?, ?, ?, "
          + RowHash.headParams() + ") ON CONFLICT (state) DO NOTHING RETURNING state";
      params.addAll(List.of(state, serial, lineage, now, state, serial, lineage));
    }
    String version = "INSERT INTO " + schema.table("versions") + " (state, serial, lineage, kind, written_at, operator,"
        + " operation, reason, write_id, lock_names, lock_tokens, removed_hosts, removed_resources, payload, content_hash)"
        + " SELECT r.*, " + RowHash.versions("r.") + " FROM (SELECT h.state AS state, ?::bigint AS serial, ?::text AS lineage,"
        + " ?::text AS kind, ?::timestamptz AS written_at, ?::text AS operator, ?::text AS operation, ?::text AS reason,"
        + " ?::text AS write_id, ?::text[] AS lock_names, ?::bigint[] AS lock_tokens, ?::text[] AS removed_hosts,"
        + " ?::text[] AS removed_resources, ?::bytea AS payload FROM h) r";
    params.addAll(List.of(serial, lineage, delta.full() ? "full" : "delta", now, req.audit().operator(),
        req.audit().operation(), req.audit().reason(), writeId));
    String sql;
    if (delta.full()) {
      sql = "WITH h AS (" + head + "), v AS (" + version + " RETURNING state) INSERT INTO "
          + schema.table("checkpoints") + " (state, serial, lineage, content, content_hash) SELECT k.*, "
          + RowHash.checkpoints("k.") + " FROM (SELECT v.state AS state, ?::bigint AS serial, ?::text AS lineage,"
          + " ?::bytea AS content FROM v) k";
    } else {
      sql = "WITH h AS (" + head + ") " + version;
    }
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = bind(ps, params);
      Map<String, Long> locks = req.audit().locks();
      ps.setArray(i++, c.createArrayOf("text", locks.keySet().toArray()));
      ps.setArray(i++, c.createArrayOf("bigint", locks.values().toArray()));
      ps.setArray(i++, c.createArrayOf("text", delta.removedHosts()));
      ps.setArray(i++, c.createArrayOf("text", delta.removedResources()));
      ps.setBytes(i++, delta.full() ? null : delta.document());
      if (delta.full()) {
        ps.setLong(i++, serial);
        ps.setString(i++, lineage);
        ps.setBytes(i, delta.document());
      }
      return ps.executeUpdate();
    }
  }

  /** A stored version: remembered for the next replay, and checkpointed when its serial is due. */
  SaveResult saved(SaveRequest req, Delta delta) {
    Snapshot next = req.snapshot();
    StoredState stored = rows.remember(next);
    long serial = next.metadata().serial();
    if (!delta.full() && serial % rows.interval(next) == 0) {
      checkpoints.write(next);
    }
    return new SaveResult.Saved(stored.token());
  }

  /**
   * The compare-and-swap found another version: lock the head, learn the current version (or find
   * this write's own row, stored by an attempt whose reply was lost), and keep the transaction as
   * this thread's turn. Takes ownership of {@code c}.
   */
  private SaveResult conflict(Connection c, SaveRequest req, String writeId, Delta delta) throws SQLException {
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      // READ COMMITTED whatever the server's default: the turn must see the head it locked
      st.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED; SET LOCAL idle_in_transaction_session_timeout = '"
          + Turns.SERVER_TIMEOUT + "'");
    }
    VersionRows.Head head = null;
    try (PreparedStatement ps = c.prepareStatement(sqlHead)) {
      ps.setString(1, state);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          head = new VersionRows.Head(rs.getLong(1), rs.getString(2), rs.getBoolean(3));
        }
      }
    }
    long serial = req.snapshot().metadata().serial();
    if (head != null && head.serial() >= serial && ownWrite(c, serial, writeId)) {
      c.rollback();
      Connections.restoreAutoCommit(c);
      connections.giveBack(c);
      return saved(req, delta);
    }
    if (head == null) {
      c.rollback();
      Connections.restoreAutoCommit(c);
      connections.giveBack(c);
      return new SaveResult.Conflict(Optional.empty());
    }
    StoredState current = rows.current(c, head, req.expected());
    turns.hold(c, current.token());
    return new SaveResult.Conflict(Optional.of(current));
  }

  private boolean ownWrite(Connection c, long serial, String writeId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sqlWriteId)) {
      ps.setString(1, state);
      ps.setLong(2, serial);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && writeId.equals(rs.getString(1));
      }
    }
  }

  /** Locks the head row in {@code c}'s transaction, so that writers queue behind it. */
  void lockHead(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sqlHead)) {
      ps.setString(1, state);
      ps.executeQuery().close();
    }
  }

  private static int bind(PreparedStatement ps, List<Object> params) throws SQLException {
    int i = 1;
    for (Object p : params) {
      if (p instanceof String s) {
        ps.setString(i++, s);
      } else if (p instanceof Long l) {
        ps.setLong(i++, l);
      } else if (p instanceof Timestamp t) {
        ps.setTimestamp(i++, t);
      } else {
        throw new IllegalArgumentException("unexpected parameter " + p);
      }
    }
    return i;
  }

  private static boolean serializationFailure(SQLException e) {
    return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
  }
}
