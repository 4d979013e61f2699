package io.infrastate.postgres;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.ExternalEditPolicy;
import io.infrastate.spi.SaveRequest;
import io.infrastate.spi.SaveResult;
import io.infrastate.spi.StoredState;
import io.infrastate.spi.VersionToken;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records an external edit ({@link RowEdits}) as a version of its own, before a save or when it is
 * accepted, or refuses the save under {@link ExternalEditPolicy#REFUSE}.
 *
 * <p>Instances are thread-safe; a connection is used by one call at a time.
 */
final class EditRecorder {
  /*
   * Design notes.
   *
   * EXTERNAL EDITS. Every row carries a content hash computed by the server as it is written; a
   * load verifies them, and rows changed or inserted by SQL outside infrastate load as an external
   * edit that the next write records first (or, under external=refuse, refuses). The
   * compare-and-swap also requires the head and the versions rows after the newest checkpoint (the
   * ones a load replays, at most twice the checkpoint interval) to be intact and no row to lie
   * beyond the head, so a write never goes on from rows changed by SQL: it conflicts, and the
   * conflict path loads the edit. A changed checkpoint is found by the next load. See RowEdits.
   */

  private static final Logger LOG = LoggerFactory.getLogger(PostgresBackend.class);

  private final Connections connections;
  private final Schema schema;
  private final String state;
  private final String location;
  private final VersionRows rows;
  private final RowEdits edits;
  private final Turns turns;
  private final Committer committer;
  private final Supplier<Optional<StoredState>> load;

  EditRecorder(Connections connections, Schema schema, String state, String location, VersionRows rows, RowEdits edits,
      Turns turns, Committer committer, Supplier<Optional<StoredState>> load) {
    this.connections = connections;
    this.schema = schema;
    this.state = state;
    this.location = location;
    this.rows = rows;
    this.edits = edits;
    this.turns = turns;
    this.committer = committer;
    this.load = load;
  }

  /**
   * Saves a version expected on a token that holds an external edit: records the edit first, or
   * under {@link ExternalEditPolicy#REFUSE} refuses while the rows still hold one.
   */
  SaveResult save(RowEdits.Pending p, SaveRequest req) {
    if (edits.policy() == ExternalEditPolicy.REFUSE) {
      Turns.Turn held = turns.take(p);
      if (held != null) {
        turns.release(held); // nothing will be written: let other writers go on
      }
      Optional<StoredState> now = load.get(); // accepted or undone meanwhile?
      if (now.isPresent() && now.get().token() instanceof RowEdits.Pending q) {
        throw edits.refused(q.found());
      }
      return new SaveResult.Conflict(now);
    }
    return record(p, req, null);
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
  SaveResult record(RowEdits.Pending p, SaveRequest req, AuditEntry accepted) {
    String what = "record the external edit of state '" + state + "' as version " + p.serial();
    Turns.Turn held = req == null ? null : turns.take(p);
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
      committer.lockHead(c);
      Optional<StoredState> now = rows.load(c);
      if (now.isEmpty() || !(now.get().token() instanceof RowEdits.Pending q) || !q.found().same(p.found())) {
        c.rollback();
        Connections.restoreAutoCommit(c);
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
        if (committer.write(c, next, delta, UUID.randomUUID().toString()) != 1) {
          throw new IllegalStateException("the version after a recorded external edit could not be written");
        }
      }
      c.commit();
      Connections.restoreAutoCommit(c);
      connections.giveBack(c);
      c = null;
      StoredState recorded = rows.remember(f.content());
      LOG.info("Recorded an external edit of {} as version {}", location, f.content().metadata().serial());
      return next == null ? new SaveResult.Saved(recorded.token()) : committer.saved(next, delta);
    } catch (SQLException e) {
      if (c != null) {
        Connections.rollbackQuietly(c);
        connections.discard(c, e);
      }
      throw connections.translate(e, what);
    } catch (RuntimeException | Error e) {
      if (c != null) {
        Connections.rollbackQuietly(c);
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
    if (committer.write(c, rec, full, UUID.randomUUID().toString()) != 1) {
      throw new IllegalStateException("the external edit could not be written as version " + (r + 1));
    }
  }
}
