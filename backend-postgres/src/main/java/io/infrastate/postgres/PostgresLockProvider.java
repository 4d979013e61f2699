package io.infrastate.postgres;

import io.infrastate.lock.AbstractLockProvider;
import io.infrastate.lock.LockInfo;
import io.infrastate.lock.LockInfoCodec;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRecord;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Locks kept as rows of the schema's {@code locks} table, one row per held lock, keyed by the
 * state and the lock name, holding the {@link LockInfo} document as {@link LockInfoCodec} writes it
 * (so that a person can read it with {@code SELECT document FROM infrastate.locks}). Leases, stale
 * takeover, holder-only release and force-unlock are {@link AbstractLockProvider}'s. Unlike an
 * advisory lock, a lock here outlives the connection that took it: it is held until released, or
 * until its lease ends.
 *
 * <p>Get one from {@link PostgresBackend#lockProvider(LockOptions)}.
 *
 * <p>Instances are thread-safe.
 */
public final class PostgresLockProvider extends AbstractLockProvider {
  /*
   * Design notes: which statement makes each primitive atomic.
   *
   * Each primitive is one statement in its own transaction, atomic by PostgreSQL's row locking:
   *   create  = INSERT ... ON CONFLICT (state, name) DO NOTHING   (1 row: created)
   *   replace = UPDATE ... SET document = ?, version = version + 1 WHERE ... AND version = ?
   *   delete  = DELETE ... WHERE ... AND version = ?
   * The version column grows with every change of a row, so a replace or delete conditioned on
   * the version read succeeds only if nobody changed the lock in between; two contenders for one
   * stale lock both read version V and only one UPDATE ... version = V updates a row (the second
   * waits for the first to commit, re-checks, and updates nothing). A deleted and re-created lock
   * starts again at version 1, but carries another lock id, which AbstractLockProvider compares
   * too before it acts.
   *
   * A statement whose connection broke may or may not have run; AbstractLockProvider reads the
   * lock back (by lock id) before it reports such a failure. A holder that crashes leaves its row;
   * its lease bounds how long it blocks others.
   */

  private final Connections connections;
  private final Schema schema;
  private final String state;
  private final String location;

  PostgresLockProvider(Connections connections, Schema schema, String state, String location, LockOptions options) {
    super(options);
    this.connections = connections;
    this.schema = schema;
    this.state = state;
    this.location = location;
  }

  @Override
  public String location() {
    return location;
  }

  @Override
  protected Optional<LockRecord> readLock(String name) {
    return connections.run("read lock '" + name + "' of state '" + state + "'", c -> {
      if (!schema.readable(c)) {
        return Optional.empty();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT version, document FROM " + schema.table("locks") + " WHERE state = ? AND name = ?")) {
        ps.setString(1, state);
        ps.setString(2, name);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          long version = rs.getLong(1);
          LockInfo info = LockInfoCodec.decode(rs.getString(2).getBytes(StandardCharsets.UTF_8),
              location + " (lock " + name + ")");
          return Optional.of(new LockRecord(info, Long.toString(version)));
        }
      }
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>One SELECT of this state's rows of the {@code locks} table.
   */
  @Override
  protected List<LockRecord> readLocks() {
    return connections.run("list the locks of state '" + state + "'", c -> {
      List<LockRecord> out = new ArrayList<>();
      if (!schema.readable(c)) {
        return out;
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT name, version, document FROM " + schema.table("locks") + " WHERE state = ?")) {
        ps.setString(1, state);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            LockInfo info = LockInfoCodec.decode(rs.getString(3).getBytes(StandardCharsets.UTF_8),
                location + " (lock " + rs.getString(1) + ")");
            out.add(new LockRecord(info, Long.toString(rs.getLong(2))));
          }
        }
      }
      return out;
    });
  }

  @Override
  protected boolean createLock(String name, LockInfo info) {
    String doc = document(info);
    return connections.run("create lock '" + name + "' of state '" + state + "'", c -> {
      schema.writable(c);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema.table("locks")
          + " (state, name, version, document) VALUES (?, ?, 1, ?) ON CONFLICT (state, name) DO NOTHING")) {
        ps.setString(1, state);
        ps.setString(2, name);
        ps.setString(3, doc);
        return ps.executeUpdate() == 1;
      }
    });
  }

  @Override
  protected boolean replaceLock(String name, LockRecord expected, LockInfo next) {
    String doc = document(next);
    long version = Long.parseLong(expected.version());
    return connections.run("replace lock '" + name + "' of state '" + state + "'", c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + schema.table("locks")
          + " SET document = ?, version = version + 1 WHERE state = ? AND name = ? AND version = ?")) {
        ps.setString(1, doc);
        ps.setString(2, state);
        ps.setString(3, name);
        ps.setLong(4, version);
        return ps.executeUpdate() == 1;
      }
    });
  }

  @Override
  protected boolean deleteLock(String name, LockRecord expected) {
    long version = Long.parseLong(expected.version());
    return connections.run("delete lock '" + name + "' of state '" + state + "'", c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + schema.table("locks")
          + " WHERE state = ? AND name = ? AND version = ?")) {
        ps.setString(1, state);
        ps.setString(2, name);
        ps.setLong(3, version);
        return ps.executeUpdate() == 1;
      }
    });
  }

  private static String document(LockInfo info) {
    return new String(LockInfoCodec.encode(info), StandardCharsets.UTF_8);
  }

  /** Keeps the connections: they belong to the backend this provider came from. */
  @Override
  protected void closeStorage() {
    // nothing of its own to free
  }
}
