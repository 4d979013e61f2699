package io.infrastate.postgres;

import io.infrastate.model.UnknownBackendException;
import io.infrastate.spi.Backend;
import io.infrastate.spi.BackendProvider;
import io.infrastate.spi.BackendRegistry;
import io.infrastate.spi.UriParameters;
import io.infrastate.spi.StateHome;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Opens {@code postgresql://} (and {@code postgres://}, {@code jdbc:postgresql:}) URIs, so that
 * {@code State.open("postgresql://db.example.com/infra?state=prod")} works. Registered for {@link
 * java.util.ServiceLoader} discovery.
 *
 * <h2>URI grammar</h2>
 *
 * <pre>
 * postgresql://[USER@]HOST[:PORT]/DATABASE[?PARAM=VALUE(&amp;PARAM=VALUE)*]
 * jdbc:postgresql://[USER@]HOST[:PORT]/DATABASE[?…]      the same, as a JDBC URL
 * jdbc:postgresql:DATABASE[?…]                           localhost:5432
 *
 *   schema=infrastate             the schema holding the tables
 *   state=default                 the state's name within the schema
 *   createSchema=true|false       whether the first write may create the tables
 *   checkpointInterval=64         versions between full checkpoints
 *   retainVersions=0              keep this many versions loadable, delete older ones (0: all)
 *   external=record|refuse        what to do with rows changed by SQL outside infrastate
 *                                 (docs/external-edits.md)
 *   user=NAME                     the role (also as USER@ in the authority; default PGUSER, then
 *                                 the operating-system user)
 *   sslmode, sslrootcert, sslcert, sslkey, connectTimeout, socketTimeout, targetServerType,
 *   ApplicationName               passed to pgjdbc unchanged
 * </pre>
 *
 * The password comes from {@code PGPASSWORD}, else from {@code ~/.pgpass} (or the file that
 * {@code PGPASSFILE} names), as with {@code psql}. A password in the URI is refused, without
 * repeating it: URIs end up in shell histories and logs. Values are percent-decoded; an unknown
 * parameter is refused, naming it.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class PostgresBackendProvider implements BackendProvider {
  private static final Set<String> DRIVER_PARAMS = Set.of(
      "sslmode", "sslrootcert", "sslcert", "sslkey", "connectTimeout", "socketTimeout", "targetServerType",
      "ApplicationName");

  private final Map<String, String> env;

  /** Creates the provider (for {@link java.util.ServiceLoader}); it reads {@code PGPASSWORD} and {@code PGUSER}. */
  public PostgresBackendProvider() {
    this(System.getenv());
  }

  PostgresBackendProvider(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  @Override
  public Set<String> schemes() {
    return Set.of("postgresql", "postgres", "jdbc");
  }

  @Override
  public Backend open(URI uri) {
    return parse(uri).build();
  }

  /**
   * The home of a PostgreSQL state is its schema: every state in the schema is a workspace, named
   * by the state's name, and the URI's {@code state} parameter (default {@code default}) names the
   * default workspace. Each workspace's locks are rows of the schema's {@code locks} table keyed by
   * its state name ({@link PostgresLockProvider}).
   *
   * @param uri the state URI
   * @return the home; closing it closes the connections it opened
   * @throws UnknownBackendException if the URI is malformed or has a bad parameter
   */
  @Override
  public StateHome home(URI uri) {
    parse(uri);
    return new PostgresHome(this, uri);
  }

  /**
   * Reads a URI into a builder, without contacting the server, taking the password from {@code
   * PGPASSWORD} if set.
   *
   * @param uri the URI
   * @return a configured builder
   * @throws UnknownBackendException if the URI is malformed, carries a password, names no database,
   *     or has an unknown or invalid parameter
   */
  public PostgresBackend.Builder parse(URI uri) {
    String shown = BackendRegistry.redact(uri);
    URI u = uri;
    String scheme = Objects.requireNonNullElse(uri.getScheme(), "").toLowerCase(Locale.ROOT);
    if (scheme.equals("jdbc")) {
      String ssp = uri.getRawSchemeSpecificPart();
      if (ssp == null || !ssp.toLowerCase(Locale.ROOT).startsWith("postgresql:")) {
        throw new UnknownBackendException("State URI " + shown + " is a JDBC URL for another database; only"
            + " jdbc:postgresql: URLs name a state");
      }
      String rest = ssp.substring("postgresql:".length());
      try {
        u = new URI(rest.startsWith("//") ? "postgresql:" + rest : "postgresql://localhost/" + rest);
      } catch (URISyntaxException e) {
        throw new UnknownBackendException("State URI " + shown + " is malformed: " + e.getReason());
      }
    } else if (!scheme.equals("postgresql") && !scheme.equals("postgres")) {
      throw new UnknownBackendException("Not a postgresql:// URI: " + shown);
    }
    PostgresBackend.Builder b = PostgresBackend.builder();
    String userInfo = u.getRawUserInfo();
    String user = env.get("PGUSER");
    if (userInfo != null) {
      if (userInfo.contains(":")) {
        throw new UnknownBackendException("State URI " + shown + " carries a password; passwords are never read"
            + " from URIs. Remove it and set PGPASSWORD, or put it in ~/.pgpass (or the file PGPASSFILE names).");
      }
      user = decode(userInfo);
    }
    if (u.getHost() != null && !u.getHost().isEmpty()) {
      b.host(u.getHost());
    }
    if (u.getPort() >= 0) {
      try {
        b.port(u.getPort());
      } catch (IllegalArgumentException e) {
        throw new UnknownBackendException("State URI " + shown + ": " + e.getMessage());
      }
    }
    String path = u.getPath() == null ? "" : u.getPath();
    String database = path.startsWith("/") ? path.substring(1) : path;
    if (database.isEmpty() || database.contains("/")) {
      throw new UnknownBackendException("State URI " + shown + " names no database; use"
          + " postgresql://HOST[:PORT]/DATABASE?schema=SCHEMA&state=NAME");
    }
    b.database(database);
    for (Map.Entry<String, String> p : UriParameters.parse(u.getRawQuery(), shown).entrySet()) {
      String value = p.getValue();
      try {
        switch (p.getKey()) {
          case "schema" -> b.schema(value);
          case "state" -> b.state(value);
          case "createSchema" -> b.createSchema(bool(value, p.getKey(), shown));
          case "checkpointInterval" -> b.checkpointInterval(integer(value, p.getKey(), shown));
          case "retainVersions" -> b.retainVersions(integer(value, p.getKey(), shown));
          case "external" -> {
            try {
              b.externalEdits(io.infrastate.model.ExternalEditPolicy.parse(value));
            } catch (IllegalArgumentException e) {
              throw new UnknownBackendException("State URI " + shown + ": " + e.getMessage());
            }
          }
          case "user" -> user = value;
          case "password" -> throw new UnknownBackendException("State URI " + shown + " carries a password;"
              + " passwords are never read from URIs. Remove it and set PGPASSWORD, or put it in ~/.pgpass.");
          default -> {
            if (!DRIVER_PARAMS.contains(p.getKey())) {
              throw new UnknownBackendException("State URI " + shown + " has unknown parameter '" + p.getKey()
                  + "'; known: schema, state, createSchema, checkpointInterval, retainVersions, external,"
                  + " user, "
                  + String.join(", ", new java.util.TreeSet<>(DRIVER_PARAMS)));
            }
            b.property(p.getKey(), value);
          }
        }
      } catch (IllegalArgumentException e) {
        throw new UnknownBackendException("State URI " + shown + ": " + e.getMessage());
      }
    }
    if (user != null && !user.isEmpty()) {
      b.user(user);
    }
    String password = env.get("PGPASSWORD");
    if (password != null && !password.isEmpty()) {
      b.password(password.toCharArray());
    }
    return b;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static boolean bool(String v, String name, String shown) {
    if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(v);
    }
    throw new UnknownBackendException("State URI " + shown + ": " + name + " must be true or false, not '" + v + "'");
  }

  private static int integer(String v, String name, String shown) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UnknownBackendException("State URI " + shown + ": " + name + " must be a whole number, not '" + v + "'");
    }
  }
}
