package io.infrastate.postgres;

import io.infrastate.postgres.PostgresException.Problem;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The tables of one schema: checks their version before first use and creates them on the first
 * write when allowed, from the same {@code schema.sql} that a DBA can run with {@code psql}.
 *
 * <p>Tables of schema version 1 (before rows carried a content hash) are upgraded on first use,
 * read or write, when creation is allowed: in one transaction under the same advisory lock, which
 * re-reads the version first (another process may have upgraded them meanwhile), the {@code
 * content_hash} columns are added and filled for the rows already stored (which are trusted as
 * infrastate's: nothing could tell edits apart before), then the version becomes 2. Adding the
 * columns takes a brief exclusive lock on the tables: concurrent reads and writes wait for the
 * upgrade, none fails. A process of an older infrastate still running after the upgrade writes
 * rows without a hash, which this version reports as external edits (recorded, not lost); one
 * started after it refuses the newer schema. Upgrade every process.
 *
 * <p>Reads never create anything: a read of a schema that does not exist yet finds no state.
 * Creation runs in one transaction under a transaction-scoped advisory lock on the schema's name,
 * so that processes creating it at the same moment do not fail on each other's half-created
 * catalog entries.
 *
 * <p>Instances are thread-safe.
 */
final class Schema {
  /** The schema version this library reads and writes. */
  static final int VERSION = 2;

  /** The resource holding the DDL, with psql's {@code :"schema"} as the schema's placeholder. */
  static final String RESOURCE = "/io/infrastate/postgres/schema.sql";

  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_$]{0,62}");

  private final String name;
  private final String quoted;
  private final boolean create;
  private final Connections connections;
  private volatile boolean ready;

  Schema(String name, boolean create, Connections connections) {
    this.name = name;
    this.quoted = '"' + name + '"';
    this.create = create;
    this.connections = connections;
  }

  /**
   * Checks a schema name: lower-case letters, digits, {@code _} and {@code $}, starting with a letter
   * or {@code _}, at most 63 characters (PostgreSQL's limit).
   *
   * @throws IllegalArgumentException if it is not such a name
   */
  static String validate(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("schema name '" + name + "' is not valid: use lower-case letters,"
          + " digits and _, starting with a letter or _, at most 63 characters");
    }
    return name;
  }

  String name() {
    return name;
  }

  /** The schema-qualified name of a table. */
  String table(String table) {
    return quoted + "." + table;
  }

  /**
   * Makes sure the tables exist for a read.
   *
   * @return {@code false} if the schema does not exist (nothing is stored yet)
   * @throws PostgresException if it does not exist and may not be created, or is too new
   */
  boolean readable(Connection c) throws SQLException {
    if (ready) {
      return true;
    }
    Integer version = version(c);
    if (version == null) {
      if (!create) {
        throw missing();
      }
      return false;
    }
    check(c, version);
    ready = true;
    return true;
  }

  /**
   * Makes sure the tables exist for a write, creating them if allowed.
   *
   * @throws PostgresException if they do not exist and may not be created, or are too new
   */
  void writable(Connection c) throws SQLException {
    if (ready) {
      return;
    }
    Integer version = version(c);
    if (version == null) {
      if (!create) {
        throw missing();
      }
      createTables(c);
      version = version(c);
      if (version == null) {
        throw missing();
      }
    }
    check(c, version);
    ready = true;
  }

  private Integer version(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT to_regclass('" + quoted.replace("'", "''") + ".schema_version')")) {
        rs.next();
        if (rs.getString(1) == null) {
          return null;
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT max(version) FROM " + table("schema_version"))) {
        rs.next();
        int v = rs.getInt(1);
        return rs.wasNull() ? null : v;
      }
    }
  }

  private void check(Connection c, int version) throws SQLException {
    if (version < VERSION) {
      if (!create) {
        throw new PostgresException(Problem.SCHEMA_MISSING, "", "The infrastate tables in schema '" + name + "' at "
            + connections.where() + " have schema version " + version + ", older than the " + VERSION + " this version"
            + " of infrastate needs, and this backend may not upgrade them (createSchema=false). Open the state once"
            + " with createSchema=true as a role that owns the tables: that adds the content_hash columns.", null, false);
      }
      upgrade(c);
      return;
    }
    if (version > VERSION) {
      throw new PostgresException(Problem.SCHEMA_TOO_NEW, "", "The tables in schema '" + name + "' at "
          + connections.where() + " have schema version " + version + ", newer than the " + VERSION
          + " this version of infrastate understands. Nothing was read or written: upgrade"
          + " infrastate-backend-postgres to the version that created them.", null, false);
    }
  }

  private PostgresException missing() {
    return new PostgresException(Problem.SCHEMA_MISSING, "42P01", "The infrastate tables do not exist in schema '"
        + name + "' at " + connections.where() + ", and this backend may not create them"
        + " (createSchema=false). Create them with the schema.sql shipped in infrastate-backend-postgres"
        + " (psql -v schema=" + name + " -f schema.sql), or allow the backend to create them.", null, false);
  }

  private void createTables(Connection c) throws SQLException {
    inTransaction(c, statements(name));
  }

  /** The statements that upgrade tables of schema version 1 to 2. */
  List<String> upgradeStatements() {
    List<String> out = new ArrayList<>();
    for (String t : List.of("states", "versions", "checkpoints")) {
      out.add("ALTER TABLE " + table(t) + " ADD COLUMN IF NOT EXISTS content_hash bytea");
    }
    out.add("UPDATE " + table("states") + " SET content_hash = " + RowHash.states("") + " WHERE content_hash IS NULL");
    out.add("UPDATE " + table("versions") + " SET content_hash = " + RowHash.versions("") + " WHERE content_hash IS NULL");
    out.add("UPDATE " + table("checkpoints") + " SET content_hash = " + RowHash.checkpoints("") + " WHERE content_hash IS NULL");
    out.add("UPDATE " + table("schema_version") + " SET version = " + VERSION);
    return out;
  }

  private void upgrade(Connection c) throws SQLException {
    inTransaction(c, null);
  }

  /**
   * Runs statements in one transaction under the schema's advisory lock; with {@code null}, the
   * upgrade, if the version read under the lock is still older than {@link #VERSION}.
   */
  private void inTransaction(Connection c, List<String> statements) throws SQLException {
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"); // see the tables a creator before us made
      st.execute("SELECT pg_advisory_xact_lock(hashtext('infrastate schema " + name + "'))");
      List<String> todo = statements;
      if (todo == null) {
        Integer now = version(c);
        todo = now != null && now < VERSION ? upgradeStatements() : List.of();
      }
      for (String sql : todo) {
        st.execute(sql);
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException again) {
        e.addSuppressed(again);
      }
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  /** The DDL of {@code schema.sql} for a schema, one statement per element. */
  static List<String> statements(String schema) {
    String sql;
    try (InputStream in = Schema.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the class path");
      }
      sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    StringBuilder body = new StringBuilder();
    for (String line : sql.split("\n", -1)) {
      if (!line.startsWith("--")) {
        body.append(line).append('\n');
      }
    }
    String text = body.toString().replace(":\"schema\"", '"' + validate(schema) + '"');
    List<String> out = new ArrayList<>();
    for (String s : text.split(";")) {
      if (!s.isBlank()) {
        out.add(s.strip());
      }
    }
    return out;
  }
}
