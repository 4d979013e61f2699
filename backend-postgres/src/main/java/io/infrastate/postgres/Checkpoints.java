package io.infrastate.postgres;

import io.infrastate.model.Snapshot;
import java.sql.PreparedStatement;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend's work off the writer's path, on one daemon thread started on first use: writing a
 * version's checkpoint after its commit, then thinning old interval checkpoints and applying
 * retention; and delayed tasks such as ending an unused write turn.
 *
 * <p>Checkpoints are derived from committed versions, so writing one twice (two processes, a
 * repair after a crash) inserts nothing the second time, and failing to write one only makes loads
 * read a longer tail until the next: failures are logged at WARN, never thrown.
 *
 * <p>Instances are thread-safe.
 */
final class Checkpoints {
  /*
   * Design notes.
   *
   * CHECKPOINTS, OFF THE WRITER'S PATH. After version N commits, if N is a multiple of the
   * checkpoint interval K (larger for large states, see VersionRows.interval), a background thread inserts
   * its whole state.json as a checkpoint (ON CONFLICT DO NOTHING: it is derived, so any copy is
   * the same), then deletes the interval checkpoints older than the one before it: the two newest
   * serve loads, and the checkpoints of full versions, which are never deleted, serve at(serial)
   * for older versions with a longer replay. So a state's rows grow with its changes, not with
   * its size times its versions. A writer that dies before writing its checkpoint leaves only a
   * longer tail: a load reads the newest checkpoint at or below the head and every version after
   * it, in one statement (one snapshot of the database, so always consistent), and writes the
   * missing checkpoint itself when the tail has grown past 2K. Reading and rebuilding versions is
   * VersionRows' job; checkpoints, thinning and retention are this class's. Damage (a gap in the
   * serials, a delta with no checkpoint before it, a payload that does not parse) stops with
   * CorruptStateException naming the row; nothing is written over it.
   *
   * RETENTION (off by default: history is never rewritten unless asked). With retainVersions(R),
   * after writing a checkpoint the background thread deletes, in one statement, the checkpoints
   * and versions older than the newest checkpoint that keeps the last R versions loadable; the
   * thinning above spares that checkpoint.
   */

  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);

  private final Connections connections;
  private final String state;
  private final String location;
  private final int retainVersions;
  private final String sqlCheckpoint;
  private final String sqlPrune;
  private final String sqlThin;
  private final Object lock = new Object();
  private ScheduledThreadPoolExecutor executor;
  private boolean closed;

  Checkpoints(Connections connections, Schema schema, String state, String location, int retainVersions) {
    this.connections = connections;
    this.state = state;
    this.location = location;
    this.retainVersions = retainVersions;
    String vers = schema.table("versions");
    String cps = schema.table("checkpoints");
    this.sqlCheckpoint = "INSERT INTO " + cps + " (state, serial, lineage, content, content_hash) SELECT k.*, "
        + RowHash.checkpoints("k.") + " FROM (SELECT ?::text AS state, ?::bigint AS serial, ?::text AS lineage,"
        + " ?::bytea AS content) k ON CONFLICT DO NOTHING";
    // interval checkpoints older than the one before the newest, except retention's base
    this.sqlThin = "DELETE FROM " + cps + " k WHERE k.state = ? AND k.serial < (SELECT max(serial) FROM " + cps
        + " WHERE state = ? AND serial < ?) AND k.serial > coalesce((SELECT max(serial) FROM " + cps
        + " WHERE state = ? AND serial <= ?), -1) AND NOT EXISTS (SELECT 1 FROM " + vers
        + " v WHERE v.state = k.state AND v.serial = k.serial AND v.kind = 'full')";
    // everything older than the newest checkpoint that keeps the last R versions loadable
    this.sqlPrune = "WITH cut AS (SELECT max(serial) AS serial FROM " + cps + " WHERE state = ? AND serial <= ?),"
        + " dv AS (DELETE FROM " + vers + " v USING cut WHERE v.state = ? AND v.serial < cut.serial)"
        + " DELETE FROM " + cps + " k USING cut WHERE k.state = ? AND k.serial < cut.serial";
  }

  /** Writes a version's checkpoint on the background thread. */
  void write(Snapshot s) {
    schedule(() -> writeNow(s), 0);
  }

  /** Runs a task on the background thread after a delay; nothing once closed. */
  void schedule(Runnable task, long delayMillis) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      if (executor == null) {
        executor = new ScheduledThreadPoolExecutor(1, r -> {
          Thread t = new Thread(r, "infrastate-postgres-" + state);
          t.setDaemon(true);
          return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      }
      executor.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    }
  }

  private void writeNow(Snapshot s) {
    long serial = s.metadata().serial();
    try {
      connections.run("write checkpoint " + serial + " of state '" + state + "'", c -> {
        try (PreparedStatement ps = c.prepareStatement(sqlCheckpoint)) {
          ps.setString(1, state);
          ps.setLong(2, serial);
          ps.setString(3, s.metadata().lineage());
          ps.setBytes(4, Delta.text(s));
          ps.executeUpdate();
        }
        long bound = retainVersions > 0 ? serial - retainVersions + 1 : -1;
        if (retainVersions > 0) {
          try (PreparedStatement ps = c.prepareStatement(sqlPrune)) {
            ps.setString(1, state);
            ps.setLong(2, bound);
            ps.setString(3, state);
            ps.setString(4, state);
            ps.executeUpdate();
          }
        }
        try (PreparedStatement ps = c.prepareStatement(sqlThin)) {
          ps.setString(1, state);
          ps.setString(2, state);
          ps.setLong(3, serial);
          ps.setString(4, state);
          ps.setLong(5, bound);
          ps.executeUpdate();
        }
        return null;
      });
    } catch (RuntimeException e) {
      LOG.warn("Could not write checkpoint {} of {}; loads read a longer tail until the next one: {}",
          serial, location, e.toString());
    }
  }

  /** Stops taking tasks, drops delayed ones, and waits up to 10 s for a checkpoint being written. */
  void close() {
    ScheduledThreadPoolExecutor e;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      e = executor;
    }
    if (e != null) {
      e.shutdown();
      try {
        e.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
