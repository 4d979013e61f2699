package io.infrastate.postgres;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.ConflictException;
import io.infrastate.model.ExternalEdit;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.model.Snapshot;
import io.infrastate.model.VersionInfo;
import io.infrastate.lock.LockOptions;
import io.infrastate.postgres.PostgresException.Problem;
import io.infrastate.spi.ExternalEditBackend;
import io.infrastate.spi.HistoryBackend;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A state stored in PostgreSQL: one row per version (its change and its audit entry), a head row
 * per state that every write advances by compare-and-swap, and a full checkpoint every so often.
 * A write costs one statement that carries only the change; a load reads the newest checkpoint and
 * the versions after it in one statement.
 *
 * <pre>{@code
 * try (PostgresBackend backend = PostgresBackend.builder().dataSource(pool).state("prod").build();
 *     State state = State.load(backend)) {
 *   state.addHost(HostState.builder("web01").address("10.0.0.5").build());
 * }
 * // or: State.open("postgresql://db.example.com/infra?schema=infrastate&state=prod")
 * }</pre>
 *
 * <p>The tables ({@code states}, {@code versions}, {@code checkpoints}, {@code locks}, {@code
 * schema_version}) live in one schema, {@code infrastate} unless set, created on the first write
 * unless {@link Builder#createSchema(boolean)} forbids it; {@code schema.sql} in this artifact
 * creates them by hand. One schema holds any number of states, each named by {@link
 * Builder#state(String)}.
 *
 * <p>Instances are thread-safe; several {@link io.infrastate.State} handles may share one.
 */
public final class PostgresBackend implements HistoryBackend, ExternalEditBackend {
  /*
   * Design notes: how this stays correct under concurrency and crashes.
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
   * THE TURN. A writer that loses the compare-and-swap takes the head row's lock (SELECT ... FOR
   * UPDATE, queued fairly by the server), reads what changed since its version while holding it,
   * and keeps that transaction open as its turn: State re-applies the change to the version
   * returned with the conflict, and the retry's save, from the same thread and expecting exactly
   * that version, runs in the held transaction and cannot lose again. So contention makes a
   * writer wait, never fail: every writer commits by its second attempt. A turn the thread does
   * not come back for (its change now fails, the process hangs) is rolled back after TURN_HOLD by
   * a background thread, and by the server after idle_in_transaction_session_timeout should the
   * whole process stall; a writer that dies releases it with its connection.
   *
   * AMBIGUOUS COMMITS. Each save carries a random write id, stored in its versions row. If the
   * connection breaks while the statement or its commit is in flight, the save tries again on a
   * new connection with the same id; if the first attempt had committed, the retry conflicts and
   * the conflict path finds version N with this write's id and reports it saved. Only if the
   * server stays unreachable does the save throw, with Problem.OUTCOME_UNKNOWN; the next load
   * shows whether version N holds the change. A connection that breaks before anything was sent
   * (refused, authentication) stores nothing and says so.
   *
   * CHECKPOINTS, OFF THE WRITER'S PATH. After version N commits, if N is a multiple of the
   * checkpoint interval K (larger for large states, see interval()), a background thread inserts
   * its whole state.json as a checkpoint (ON CONFLICT DO NOTHING: it is derived, so any copy is
   * the same), then deletes the interval checkpoints older than the one before it: the two newest
   * serve loads, and the checkpoints of full versions, which are never deleted, serve at(serial)
   * for older versions with a longer replay. So a state's rows grow with its changes, not with
   * its size times its versions. A writer that dies before writing its checkpoint leaves only a
   * longer tail: a load reads the newest checkpoint at or below the head and every version after
   * it, in one statement (one snapshot of the database, so always consistent), and writes the
   * missing checkpoint itself when the tail has grown past 2K. Reading and rebuilding versions is
   * VersionRows' job; checkpoints, thinning and retention are Checkpoints'. Damage (a gap in the
   * serials, a delta with no checkpoint before it, a payload that does not parse) stops with
   * CorruptStateException naming the row; nothing is written over it.
   *
   * EXTERNAL EDITS. Every row carries a content hash computed by the server as it is written; a
   * load verifies them, and rows changed or inserted by SQL outside infrastate load as an external
   * edit that the next write records first (or, under external=refuse, refuses). The
   * compare-and-swap also requires the head and the versions rows after the newest checkpoint (the
   * ones a load replays, at most twice the checkpoint interval) to be intact and no row to lie
   * beyond the head, so a write never goes on from rows changed by SQL: it conflicts, and the
   * conflict path loads the edit. A changed checkpoint is found by the next load. See RowEdits.
   *
   * RETENTION (off by default: history is never rewritten unless asked). With retainVersions(R),
   * after writing a checkpoint the background thread deletes, in one statement, the checkpoints
   * and versions older than the newest checkpoint that keeps the last R versions loadable; the
   * thinning above spares that checkpoint.
   */

  private static final Logger LOG = LoggerFactory.getLogger(PostgresBackend.class);

  /** How long a conflicted writer's turn waits for its retry before it is rolled back. */
  static final long TURN_HOLD_MILLIS = 1_000;

  /** The server-side bound on an abandoned turn, should the whole process stall. */
  private static final String TURN_SERVER_TIMEOUT = "30s";

  private final Connections connections;
  private final boolean ownsConnections;
  private final Schema schema;
  private final String state;
  private final String location;
  private final VersionRows rows;
  private final Checkpoints checkpoints;
  private final RowEdits edits;
  private final Object turnLock = new Object();
  private Turn turn;
  private volatile boolean closed;
  private final String sqlHead;
  private final String sqlWriteId;

  /** A conflicted writer's held transaction, with the head row locked. */
  private record Turn(Connection connection, VersionToken token, Thread owner) {}

  private PostgresBackend(Builder b, Connections connections, boolean ownsConnections) {
    this.connections = connections;
    this.ownsConnections = ownsConnections;
    this.schema = new Schema(b.schema, b.createSchema, connections);
    this.state = b.state;
    this.location = b.location();
    this.checkpoints = new Checkpoints(connections, schema, state, location, b.retainVersions);
    this.edits = new RowEdits(location, b.externalEdits);
    this.rows = new VersionRows(schema, state, location, b.checkpointInterval, checkpoints::write);
    this.sqlHead = "SELECT serial, lineage, " + RowHash.intact("", RowHash.states("")) + " FROM " + schema.table("states")
        + " WHERE state = ? FOR UPDATE";
    this.sqlWriteId = "SELECT write_id FROM " + schema.table("versions") + " WHERE state = ? AND serial = ?";
  }

  /**
   * A builder for a backend.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String location() {
    return location;
  }

  /**
   * The name of the state within the schema.
   *
   * @return the state name
   */
  public String state() {
    return state;
  }

  /**
   * The schema holding the tables.
   *
   * @return the schema name
   */
  public String schema() {
    return schema.name();
  }

  /**
   * A lock provider whose locks are rows of this schema's {@code locks} table, keyed by this
   * state, sharing this backend's connections. Closing the provider does not close them; closing
   * this backend does, after which the provider fails.
   *
   * @param options clock, operator, listener, poll intervals
   * @return a new lock provider
   */
  public PostgresLockProvider lockProvider(LockOptions options) {
    return new PostgresLockProvider(connections, schema, state, location, options);
  }

  /** This backend's connections, for the home that lists and removes the schema's states. */
  Connections connections() {
    return connections;
  }

  /** This backend's schema, for the home that lists and removes the schema's states. */
  Schema tables() {
    return schema;
  }

  // ------------------------------------------------------------------ load

  @Override
  public Optional<StoredState> load() {
    checkOpen();
    return connections.run("load state '" + state + "'", c -> schema.readable(c) ? rows.load(c) : Optional.empty());
  }

  @Override
  public Optional<StoredState> at(long serial) {
    checkOpen();
    return connections.run("load version " + serial + " of state '" + state + "'",
        c -> schema.readable(c) ? rows.at(c, serial) : Optional.empty());
  }

  /**
   * One indexed statement: the head row joined to the rows after {@code known}, replayed onto the
   * version this backend holds; a full load only when that cannot tell.
   */
  @Override
  public Optional<StoredState> loadIfChanged(VersionToken known) {
    checkOpen();
    if (!known.exists()) {
      return HistoryBackend.super.loadIfChanged(known);
    }
    Optional<Optional<StoredState>> quick = connections.run("check state '" + state + "' for changes",
        c -> schema.readable(c) ? rows.changedSince(c, known) : Optional.empty());
    return quick.isPresent() ? quick.get() : HistoryBackend.super.loadIfChanged(known);
  }

  /**
   * Versions between checkpoints for a state this size (for tests).
   *
   * @param s a version
   * @return the interval
   */
  long interval(Snapshot s) {
    return rows.interval(s);
  }

  // ------------------------------------------------------------------ history

  @Override
  public List<VersionInfo> history(int limit) {
    checkOpen();
    if (limit <= 0) {
      return List.of();
    }
    return connections.run("read the history of state '" + state + "'",
        c -> schema.readable(c) ? rows.history(c, limit) : List.<VersionInfo>of());
  }

  // ------------------------------------------------------------------ save

  @Override
  public SaveResult save(SaveRequest req) {
    checkOpen();
    if (req.expected() instanceof RowEdits.Pending p) {
      if (edits.policy() == ExternalEditPolicy.REFUSE) {
        Turn held = takeTurn(p);
        if (held != null) {
          release(held); // nothing will be written: let other writers go on
        }
        Optional<StoredState> now = load(); // accepted or undone meanwhile?
        if (now.isPresent() && now.get().token() instanceof RowEdits.Pending q) {
          throw edits.refused(q.found());
        }
        return new SaveResult.Conflict(now);
      }
      return recordEdit(p, req, null);
    }
    Delta delta = Delta.of(req);
    String writeId = UUID.randomUUID().toString();
    Turn held = takeTurn(req.expected());
    boolean maybeSent = false;
    if (held != null) {
      Connection c = held.connection();
      try {
        int rows = write(c, req, delta, writeId);
        maybeSent = true;
        if (rows == 1) {
          c.commit();
          restoreAutoCommit(c);
          connections.giveBack(c);
          return saved(req, delta);
        }
        c.rollback();
        restoreAutoCommit(c);
        connections.giveBack(c);
      } catch (SQLException e) {
        rollbackQuietly(c);
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
        rollbackQuietly(c);
        connections.discard(c, e);
        if (!Connections.broken(e)) {
          throw connections.translate(e, what);
        }
        last = e;
      } catch (RuntimeException | Error e) {
        rollbackQuietly(c);
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
  private int write(Connection c, SaveRequest req, Delta delta, String writeId) throws SQLException {
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

  private SaveResult saved(SaveRequest req, Delta delta) {
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
          + TURN_SERVER_TIMEOUT + "'");
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
      restoreAutoCommit(c);
      connections.giveBack(c);
      return saved(req, delta);
    }
    if (head == null) {
      c.rollback();
      restoreAutoCommit(c);
      connections.giveBack(c);
      return new SaveResult.Conflict(Optional.empty());
    }
    StoredState current = rows.current(c, head, req.expected());
    Turn t = new Turn(c, current.token(), Thread.currentThread());
    Turn previous;
    synchronized (turnLock) {
      previous = turn;
      turn = t;
    }
    if (previous != null) {
      release(previous);
    }
    checkpoints.schedule(() -> expire(t), TURN_HOLD_MILLIS);
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

  /** This thread's turn if it holds one for exactly {@code expected}; any other turn of it ends. */
  private Turn takeTurn(VersionToken expected) {
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
    LOG.debug("Rolling back an unused write turn on {} after {} ms", location, TURN_HOLD_MILLIS);
    release(t);
  }

  private void release(Turn t) {
    Connection c = t.connection();
    try {
      c.rollback();
      c.setAutoCommit(true);
      connections.giveBack(c);
    } catch (SQLException e) {
      connections.discard(c, e);
    }
  }

  // ------------------------------------------------------------------ external edits

  @Override
  public ExternalEditPolicy externalEditPolicy() {
    return edits.policy();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Rows of this state changed or inserted by SQL outside infrastate: one load.
   */
  @Override
  public Optional<ExternalEdit> externalEdit() {
    return load().filter(s -> s.token() instanceof RowEdits.Pending)
        .map(s -> edits.describe(((RowEdits.Pending) s.token()).found()));
  }

  @Override
  public Optional<VersionInfo> acceptExternalEdit(AuditEntry audit) {
    Objects.requireNonNull(audit, "audit");
    for (int attempt = 0; attempt < 2; attempt++) {
      Optional<StoredState> latest = load();
      if (latest.isEmpty() || !(latest.get().token() instanceof RowEdits.Pending p)) {
        return Optional.empty();
      }
      if (recordEdit(p, null, audit) instanceof SaveResult.Saved saved) {
        long serial = saved.token().serial();
        return history(1).stream().filter(v -> v.serial() == serial).findFirst();
      }
    }
    throw new ConflictException("Could not accept the external edit of " + location + ": the rows kept changing"
        + " while it was being recorded. Retry.", 2);
  }

  /**
   * Records an external edit as its own version and then, for a save, the request's version after
   * it, in one transaction that holds the head row's lock (see RowEdits). The rows are read again
   * under the lock: if they no longer hold this edit, nothing is written and the result is a
   * conflict with what they hold now.
   *
   * @param req the save, or null to record the edit alone
   * @param accepted who accepts it, or null for a save
   */
  private SaveResult recordEdit(RowEdits.Pending p, SaveRequest req, AuditEntry accepted) {
    String what = "record the external edit of state '" + state + "' as version " + p.serial();
    Turn held = req == null ? null : takeTurn(p);
    Connection c = null;
    try {
      if (held != null) {
        c = held.connection();
      } else {
        c = connections.borrow();
        schema.writable(c);
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
          st.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
        }
      }
      try (PreparedStatement ps = c.prepareStatement(sqlHead)) {
        ps.setString(1, state);
        ps.executeQuery().close();
      }
      Optional<StoredState> now = rows.load(c);
      if (now.isEmpty() || !(now.get().token() instanceof RowEdits.Pending q) || !q.found().same(p.found())) {
        c.rollback();
        restoreAutoCommit(c);
        connections.giveBack(c);
        return new SaveResult.Conflict(now);
      }
      RowEdits.Found f = q.found();
      writeEdit(c, f, edits.audit(f, accepted));
      Delta delta = null;
      SaveRequest next = null;
      if (req != null) {
        next = new SaveRequest(VersionToken.of(p.serial(), p.lineage()), req.snapshot(), req.changes(), req.audit(),
            req.writeId());
        delta = Delta.of(next);
        if (write(c, next, delta, UUID.randomUUID().toString()) != 1) {
          throw new IllegalStateException("the version after a recorded external edit could not be written");
        }
      }
      c.commit();
      restoreAutoCommit(c);
      connections.giveBack(c);
      c = null;
      StoredState recorded = rows.remember(f.content());
      LOG.info("Recorded an external edit of {} as version {}", location, f.content().metadata().serial());
      return next == null ? new SaveResult.Saved(recorded.token()) : saved(next, delta);
    } catch (SQLException e) {
      if (c != null) {
        rollbackQuietly(c);
        connections.discard(c, e);
      }
      throw connections.translate(e, what);
    } catch (RuntimeException | Error e) {
      if (c != null) {
        rollbackQuietly(c);
        connections.discard(c, null);
      }
      throw e;
    }
  }

  /** Writes the edit as full version R + 1 after removing the rows beyond R and restoring R. */
  private void writeEdit(Connection c, RowEdits.Found f, AuditEntry audit) throws SQLException {
    long r = f.replacedSerial();
    String lineage = f.content().metadata().lineage();
    for (String t : List.of("versions", "checkpoints")) {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + schema.table(t) + " WHERE state = ? AND serial > ?")) {
        ps.setString(1, state);
        ps.setLong(2, r);
        ps.executeUpdate();
      }
    }
    if (f.restore()) {
      // version R as infrastate wrote it: a full version with its checkpoint, over the changed rows
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + schema.table("versions") + " SET kind = 'full',"
          + " payload = NULL, removed_hosts = '{}', removed_resources = '{}' WHERE state = ? AND serial = ?")) {
        ps.setString(1, state);
        ps.setLong(2, r);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + schema.table("versions") + " SET content_hash = "
          + RowHash.versions("") + " WHERE state = ? AND serial = ?")) {
        ps.setString(1, state);
        ps.setLong(2, r);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema.table("checkpoints")
          + " (state, serial, lineage, content, content_hash) SELECT k.*, " + RowHash.checkpoints("k.")
          + " FROM (SELECT ?::text AS state, ?::bigint AS serial, ?::text AS lineage, ?::bytea AS content) k"
          + " ON CONFLICT (state, serial) DO UPDATE SET lineage = EXCLUDED.lineage, content = EXCLUDED.content,"
          + " content_hash = EXCLUDED.content_hash")) {
        ps.setString(1, state);
        ps.setLong(2, r);
        ps.setString(3, f.replaced().metadata().lineage());
        ps.setBytes(4, Delta.text(f.replaced()));
        ps.executeUpdate();
      }
    }
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + schema.table("states") + " SET serial = ?, lineage = ?,"
        + " content_hash = " + RowHash.headParams() + " WHERE state = ?")) {
      ps.setLong(1, r);
      ps.setString(2, lineage);
      ps.setString(3, state);
      ps.setLong(4, r);
      ps.setString(5, lineage);
      ps.setString(6, state);
      ps.executeUpdate();
    }
    SaveRequest rec = new SaveRequest(VersionToken.of(r, lineage), f.content(), List.of(), audit);
    Delta full = new Delta(true, Delta.text(f.content()), new String[0], new String[0]);
    if (write(c, rec, full, UUID.randomUUID().toString()) != 1) {
      throw new IllegalStateException("the external edit could not be written as version " + (r + 1));
    }
  }

  // ------------------------------------------------------------------ helpers

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

  private static void restoreAutoCommit(Connection c) throws SQLException {
    c.setAutoCommit(true);
  }

  private static void rollbackQuietly(Connection c) {
    try {
      if (!c.getAutoCommit()) {
        c.rollback();
      }
    } catch (SQLException | RuntimeException e) {
      // the connection is discarded next
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("The PostgreSQL backend for " + location + " is closed");
    }
  }

  /**
   * Waits briefly for a pending checkpoint, ends a held write turn, and closes the connections
   * this backend opened (never a caller's {@link DataSource}). Closing twice is harmless.
   */
  @Override
  public void close() {
    Turn t;
    synchronized (turnLock) {
      if (closed) {
        return;
      }
      closed = true;
      t = turn;
      turn = null;
    }
    if (t != null) {
      release(t);
    }
    checkpoints.close();
    if (ownsConnections) {
      connections.close();
    }
  }

  @Override
  public String toString() {
    return "PostgresBackend[" + location + "]";
  }

  /**
   * Configures a {@link PostgresBackend}. Give either a {@link #dataSource(DataSource)} (a pool the
   * caller owns) or the server's {@link #host(String)}, {@link #port(int)}, {@link
   * #database(String)} and {@link #user(String)}; the password then comes from {@link
   * #password(char[])}, else pgjdbc's {@code ~/.pgpass} (or {@code PGPASSFILE}). {@link
   * PostgresBackendProvider} adds {@code PGPASSWORD}.
   *
   * <p>Not thread-safe; the backend it builds is.
   */
  public static final class Builder {
    private DataSource dataSource;
    private String host = "localhost";
    private int port = 5432;
    private String database;
    private String user;
    private char[] password;
    private final java.util.Map<String, String> properties = new java.util.TreeMap<>();
    private String schema = "infrastate";
    private String state = "default";
    private boolean createSchema = true;
    private int checkpointInterval = 64;
    private int retainVersions;
    private ExternalEditPolicy externalEdits = ExternalEditPolicy.RECORD;

    private Builder() {}

    /**
     * Connections from the caller's pool; the backend closes each connection after use (returning
     * it to the pool) and never closes the pool.
     *
     * @param dataSource the pool
     * @return this builder
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      return this;
    }

    /**
     * The server's host name or address (default {@code localhost}).
     *
     * @param host the host
     * @return this builder
     */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /**
     * The server's port (default 5432).
     *
     * @param port the port
     * @return this builder
     * @throws IllegalArgumentException if not in 1..65535
     */
    public Builder port(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be in 1..65535: " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * The database (default: the user name, as libpq does).
     *
     * @param database the database name
     * @return this builder
     */
    public Builder database(String database) {
      this.database = Objects.requireNonNull(database, "database");
      return this;
    }

    /**
     * The role to log in as (default: the operating-system user name).
     *
     * @param user the role
     * @return this builder
     */
    public Builder user(String user) {
      this.user = Objects.requireNonNull(user, "user");
      return this;
    }

    /**
     * The password; it is never printed or logged. Without one, pgjdbc reads {@code ~/.pgpass}.
     *
     * @param password the password (copied)
     * @return this builder
     */
    public Builder password(char[] password) {
      this.password = password == null ? null : password.clone();
      return this;
    }

    /**
     * A pgjdbc connection property, such as {@code sslmode=verify-full} or {@code connectTimeout=5}.
     *
     * @param name the property
     * @param value its value
     * @return this builder
     * @throws IllegalArgumentException for {@code password} (use {@link #password(char[])})
     */
    public Builder property(String name, String value) {
      if ("password".equalsIgnoreCase(name)) {
        throw new IllegalArgumentException("give the password with password(char[]), PGPASSWORD or ~/.pgpass");
      }
      properties.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * The schema holding the tables (default {@code infrastate}).
     *
     * @param schema lower-case letters, digits and {@code _}
     * @return this builder
     * @throws IllegalArgumentException if not a valid name
     */
    public Builder schema(String schema) {
      this.schema = Schema.validate(schema);
      return this;
    }

    /**
     * The state's name within the schema (default {@code default}).
     *
     * @param state 1 to 200 characters without control characters
     * @return this builder
     * @throws IllegalArgumentException if empty, too long or with control characters
     */
    public Builder state(String state) {
      this.state = validateState(state);
      return this;
    }

    /**
     * Whether the first write may create the schema and its tables (default true). With false,
     * they must exist (created from {@code schema.sql}), or every operation fails with {@link
     * Problem#SCHEMA_MISSING}.
     *
     * @param create whether to create
     * @return this builder
     */
    public Builder createSchema(boolean create) {
      this.createSchema = create;
      return this;
    }

    /**
     * Every how many versions a full checkpoint is written after the commit (default 64); a state
     * of more than 128 × K hosts and resources is checkpointed every (hosts + resources) / 128
     * versions (a power of two) instead. A load reads the newest checkpoint and the versions after
     * it. Only the two newest checkpoints and those of full versions (the first, rollbacks,
     * replacements) are kept.
     *
     * @param interval at least 1
     * @return this builder
     * @throws IllegalArgumentException if less than 1
     */
    public Builder checkpointInterval(int interval) {
      if (interval < 1) {
        throw new IllegalArgumentException("checkpointInterval must be at least 1: " + interval);
      }
      this.checkpointInterval = interval;
      return this;
    }

    /**
     * Keeps at least the newest {@code versions} versions loadable and deletes older versions and
     * checkpoints after each checkpoint (default 0: keep everything).
     *
     * @param versions 0 to keep everything, else at least 1
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder retainVersions(int versions) {
      if (versions < 0) {
        throw new IllegalArgumentException("retainVersions must not be negative: " + versions);
      }
      this.retainVersions = versions;
      return this;
    }

    /**
     * What to do with rows of this state changed or inserted by SQL outside infrastate (an {@code
     * UPDATE} of a version, a checkpoint or the head, an {@code INSERT} of a version): {@link
     * ExternalEditPolicy#RECORD} (the default) records the edit as a version of its own before the
     * next write, {@link ExternalEditPolicy#REFUSE} fails writes with {@link
     * io.infrastate.model.ExternalEditException} until it is accepted ({@link #acceptExternalEdit}). The
     * URI parameter is {@code external=record|refuse}. See {@code docs/external-edits.md}.
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder externalEdits(ExternalEditPolicy policy) {
      this.externalEdits = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Builds the backend. It connects on first use, not here.
     *
     * @return a new backend
     */
    public PostgresBackend build() {
      if (dataSource != null) {
        return new PostgresBackend(this, new Connections(dataSource, false, where()), true);
      }
      org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
      ds.setServerNames(new String[] {host});
      ds.setPortNumbers(new int[] {port});
      String u = user != null ? user : System.getProperty("user.name");
      ds.setUser(u);
      ds.setDatabaseName(database != null ? database : u);
      if (password != null) {
        ds.setPassword(new String(password));
      }
      ds.setApplicationName("infrastate");
      for (java.util.Map.Entry<String, String> e : properties.entrySet()) {
        try {
          ds.setProperty(e.getKey(), e.getValue());
        } catch (SQLException ex) {
          throw new IllegalArgumentException("unknown pgjdbc connection property '" + e.getKey() + "'", ex);
        }
      }
      return new PostgresBackend(this, new Connections(ds, true, where()), true);
    }

    private String where() {
      if (dataSource != null) {
        return "the DataSource's database, schema " + schema;
      }
      String u = user != null ? user : System.getProperty("user.name");
      return host + ":" + port + "/" + (database != null ? database : u) + " (schema " + schema + ")";
    }

    String location() {
      if (dataSource != null) {
        return "postgresql:?schema=" + schema + "&state=" + state;
      }
      String u = user != null ? user : System.getProperty("user.name");
      return "postgresql://" + host + ":" + port + "/" + (database != null ? database : u) + "?schema=" + schema
          + "&state=" + state;
    }

    static String validateState(String state) {
      if (state == null || state.isEmpty() || state.length() > 200) {
        throw new IllegalArgumentException("state name must have 1 to 200 characters: '" + state + "'");
      }
      for (int i = 0; i < state.length(); i++) {
        if (Character.isISOControl(state.charAt(i))) {
          throw new IllegalArgumentException("state name must not contain control characters");
        }
      }
      return state;
    }
  }
}
