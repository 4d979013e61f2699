package io.infrastate.benchmarks;

import io.infrastate.model.Snapshot;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The SQLite contender, what a team might pick instead of a state file: tables {@code hosts(name
 * primary key, json)} and {@code resources(key primary key, json)} through sqlite-jdbc, {@code
 * journal_mode=WAL}, {@code synchronous=FULL} (every commit is durable). A single write is one
 * upsert in its own transaction; a batch is many upserts in one transaction; a load selects every
 * row and decodes its JSON into the Go-port records.
 *
 * <p>Not thread-safe: one instance (one connection) per thread; several instances may share a
 * database file.
 */
public final class SqliteStore implements AutoCloseable {
  private static final JsonMapper COMPACT = JsonMapper.builder().disable(tools.jackson.databind.cfg.DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS).build();

  private final Connection conn;
  private final PreparedStatement upsertHost;
  private final PreparedStatement upsertResource;
  private final PreparedStatement selectHost;

  /**
   * Opens (and creates) a database.
   *
   * @param file the database file
   * @throws SQLException if it cannot be opened
   */
  public SqliteStore(Path file) throws SQLException {
    conn = DriverManager.getConnection("jdbc:sqlite:" + file);
    try (Statement s = conn.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=FULL");
      s.execute("PRAGMA busy_timeout=60000");
      s.execute("CREATE TABLE IF NOT EXISTS hosts(name TEXT PRIMARY KEY, json TEXT NOT NULL)");
      s.execute("CREATE TABLE IF NOT EXISTS resources(key TEXT PRIMARY KEY, json TEXT NOT NULL)");
    }
    upsertHost = conn.prepareStatement("INSERT INTO hosts(name, json) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET json = excluded.json");
    upsertResource = conn.prepareStatement("INSERT INTO resources(key, json) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET json = excluded.json");
    selectHost = conn.prepareStatement("SELECT json FROM hosts WHERE name = ?");
  }

  /**
   * Upserts one host durably (its own transaction).
   *
   * @param h the host
   * @throws SQLException on failure
   */
  public void putHost(io.infrastate.model.HostState h) throws SQLException {
    upsertHost.setString(1, h.name());
    upsertHost.setString(2, COMPACT.writeValueAsString(GoFtl2.fromHost(h)));
    upsertHost.executeUpdate();
  }

  /**
   * Upserts every host and resource of a snapshot in one transaction.
   *
   * @param s the content
   * @throws SQLException on failure
   */
  public void putAll(Snapshot s) throws SQLException {
    conn.setAutoCommit(false);
    try {
      for (io.infrastate.model.HostState h : s.hosts().values()) {
        upsertHost.setString(1, h.name());
        upsertHost.setString(2, COMPACT.writeValueAsString(GoFtl2.fromHost(h)));
        upsertHost.addBatch();
      }
      upsertHost.executeBatch();
      for (Map.Entry<String, io.infrastate.model.ResourceState> e : s.resources().entrySet()) {
        upsertResource.setString(1, e.getKey());
        upsertResource.setString(2, COMPACT.writeValueAsString(GoFtl2.fromResource(e.getValue())));
        upsertResource.addBatch();
      }
      upsertResource.executeBatch();
      conn.commit();
    } catch (SQLException | RuntimeException e) {
      conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(true);
    }
  }

  /**
   * Reads one host by name and decodes it.
   *
   * @param name the name
   * @return the host, or null
   * @throws SQLException on failure
   */
  public GoFtl2.HostState getHost(String name) throws SQLException {
    selectHost.setString(1, name);
    try (ResultSet rs = selectHost.executeQuery()) {
      return rs.next() ? COMPACT.readValue(rs.getString(1), GoFtl2.HostState.class) : null;
    }
  }

  /**
   * Loads everything, decoding each row.
   *
   * @return the number of rows
   * @throws SQLException on failure
   */
  public int loadAll() throws SQLException {
    Map<String, GoFtl2.HostState> hosts = new HashMap<>();
    Map<String, GoFtl2.ResourceState> resources = new HashMap<>();
    try (Statement s = conn.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT name, json FROM hosts")) {
        while (rs.next()) {
          hosts.put(rs.getString(1), COMPACT.readValue(rs.getString(2), GoFtl2.HostState.class));
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT key, json FROM resources")) {
        while (rs.next()) {
          resources.put(rs.getString(1), COMPACT.readValue(rs.getString(2), GoFtl2.ResourceState.class));
        }
      }
    }
    return hosts.size() + resources.size();
  }

  @Override
  public void close() throws SQLException {
    conn.close();
  }
}
