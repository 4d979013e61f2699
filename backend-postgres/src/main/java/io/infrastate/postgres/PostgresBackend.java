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
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

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
   * Design notes. How this backend stays correct under concurrency and crashes is told in the
   * part that does it: THE COMMIT and AMBIGUOUS COMMITS in Committer, THE TURN in Turns,
   * CHECKPOINTS and RETENTION in Checkpoints (reading and rebuilding versions in VersionRows),
   * EXTERNAL EDITS in EditRecorder (what counts as one in RowEdits).
   */

  private final Connections connections;
  private final boolean ownsConnections;
  private final Schema schema;
  private final String state;
  private final String location;
  private final VersionRows rows;
  private final Checkpoints checkpoints;
  private final RowEdits edits;
  private final Turns turns;
  private final Committer committer;
  private final EditRecorder recorder;
  private final Object closeLock = new Object();
  private volatile boolean closed;

  private PostgresBackend(Builder b, Connections connections, boolean ownsConnections) {
    this.connections = connections;
    this.ownsConnections = ownsConnections;
    this.schema = new Schema(b.schema, b.createSchema, connections);
    this.state = b.state;
    this.location = b.location();
    this.checkpoints = new Checkpoints(connections, schema, state, location, b.retainVersions);
    this.edits = new RowEdits(location, b.externalEdits);
    this.rows = new VersionRows(schema, state, location, b.checkpointInterval, checkpoints::write);
    this.turns = new Turns(connections, checkpoints, location);
    this.committer = new Committer(connections, schema, state, rows, checkpoints, turns);
    this.recorder = new EditRecorder(connections, schema, state, location, rows, edits, turns, committer, this::load);
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

  /**
   * The versions of this state, newest first, with the audit entry of each, read from the
   * version rows (versions deleted by {@code retainVersions} are not listed).
   *
   * @param limit the most entries to return
   * @return the versions, newest first
   */
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
      return recorder.save(p, req);
    }
    return committer.save(req);
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
      if (recorder.record(p, null, audit) instanceof SaveResult.Saved saved) {
        long serial = saved.token().serial();
        return history(1).stream().filter(v -> v.serial() == serial).findFirst();
      }
    }
    throw new ConflictException("Could not accept the external edit of " + location + ": the rows kept changing"
        + " while it was being recorded. Retry.", 2);
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
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    turns.close();
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