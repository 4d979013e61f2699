package io.infrastate.postgres;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for the tests, from the Debian {@code postgresql} package: {@code
 * initdb} into a temporary directory, started on a free port of 127.0.0.1 with its unix socket in
 * that directory, stopped when the JVM exits. One server per JVM, started on first use.
 *
 * <p>The server refuses to run as root, so a root test run starts it as the {@code postgres} user
 * (which the package creates) through {@code setpriv}. Role {@code infra} connects without a
 * password (trust); role {@link #SECRET_USER} needs {@link #SECRET_PASSWORD} (SCRAM), for the
 * credential tests. Tests skip, with a message saying what to install, only where the server
 * binaries are absent. Other modules' tests use it through this module's test jar.
 */
public final class PostgresServer {
  public static final String USER = "infra";
  public static final String DATABASE = "infra";
  public static final String SECRET_USER = "guarded";
  public static final String SECRET_PASSWORD = "s3cret-pw";

  private static PostgresServer instance;

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgres;

  private PostgresServer(Path bin, Path dir, int port, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgres = asPostgres;
  }

  /**
   * The shared server, started on first call; skips the calling test if PostgreSQL is not installed.
   */
  public static synchronized PostgresServer get() {
    Path bin = findBin();
    assumeTrue(bin != null, "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin:"
        + " install the Debian package 'postgresql' to run the PostgreSQL backend's tests");
    if (instance == null) {
      try {
        instance = start(bin);
      } catch (IOException | InterruptedException | SQLException e) {
        throw new IllegalStateException("Could not start a PostgreSQL server for the tests: " + e, e);
      }
      PostgresServer s = instance;
      Runtime.getRuntime().addShutdownHook(new Thread(s::stopQuietly, "postgres-test-server-stop"));
    }
    return instance;
  }

  /** The newest installed major version's bin directory, or null. */
  static Path findBin() {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return null;
    }
    List<Path> bins = new ArrayList<>();
    try (DirectoryStream<Path> versions = Files.newDirectoryStream(root)) {
      for (Path v : versions) {
        Path b = v.resolve("bin");
        if (Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("postgres"))) {
          bins.add(b);
        }
      }
    } catch (IOException e) {
      return null;
    }
    bins.sort(Comparator.comparingInt(PostgresServer::major));
    return bins.isEmpty() ? null : bins.get(bins.size() - 1);
  }

  private static int major(Path bin) {
    try {
      return Integer.parseInt(bin.getParent().getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static PostgresServer start(Path bin) throws IOException, InterruptedException, SQLException {
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("infrastate-pg");
    if (root) {
      run(List.of("chown", "postgres:postgres", dir.toString()), dir, false);
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    PostgresServer server = new PostgresServer(bin, dir, port, root);
    server.pg(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", USER,
        "--auth-local=trust", "--auth-host=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"));
    // SCRAM for the guarded role, trust for everyone else (first match wins)
    Path hba = dir.resolve("data/pg_hba.conf");
    String rules = "local all all trust\n"
        + "host all " + SECRET_USER + " 127.0.0.1/32 scram-sha-256\n"
        + "host all all 127.0.0.1/32 trust\n";
    Files.writeString(hba, rules, StandardCharsets.UTF_8);
    server.startServer();
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=" + USER);
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + DATABASE);
      st.execute("CREATE ROLE " + SECRET_USER + " LOGIN PASSWORD '" + SECRET_PASSWORD + "'");
      st.execute("GRANT ALL ON DATABASE " + DATABASE + " TO " + SECRET_USER);
    }
    try (Connection c = DriverManager.getConnection(server.jdbcUrl(DATABASE) + "?user=" + USER);
        Statement st = c.createStatement()) {
      st.execute("GRANT CREATE ON SCHEMA public TO " + SECRET_USER);
    }
    return server;
  }

  private void startServer() throws IOException, InterruptedException {
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-w", "-t", "60",
        "-l", dir.resolve("log").toString(),
        "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c max_connections=200", "start"));
  }

  /** Stops the server (fast shutdown: open connections are terminated) and starts it again. */
  public synchronized void restart() throws IOException, InterruptedException {
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-w", "-m", "fast", "stop"));
    startServer();
  }

  /** Stops the server (fast shutdown). */
  public synchronized void stop() throws IOException, InterruptedException {
    pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-w", "-m", "fast", "stop"));
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (IOException | InterruptedException | RuntimeException e) {
      System.err.println("Could not stop the test PostgreSQL server: " + e);
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind
    }
  }

  public int port() {
    return port;
  }

  public Path bin() {
    return bin;
  }

  /** A JDBC URL for a database, without user or password. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** A state URI for this server with a fresh schema of its own. */
  public String uri(String schema, String state) {
    return "postgresql://" + USER + "@127.0.0.1:" + port + "/" + DATABASE + "?schema=" + schema + "&state=" + state;
  }

  /** A new connection as the trusted role, for inspecting what the backend stored. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(DATABASE) + "?user=" + USER);
  }

  /** A unique schema name for one test. */
  public static String freshSchema() {
    return "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  private void pg(List<String> command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    if (asPostgres) {
      cmd.addAll(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--"));
    }
    cmd.addAll(command);
    run(cmd, dir, true);
  }

  private static void run(List<String> cmd, Path dir, boolean logged) throws IOException, InterruptedException {
    Path out = Files.createTempFile("infrastate-pg-cmd", ".log");
    try {
      Process p = new ProcessBuilder(cmd).directory(Path.of("/").toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
        throw new IOException("timed out: " + cmd);
      }
      if (p.exitValue() != 0) {
        String log = "";
        Path serverLog = dir.resolve("log");
        if (logged && Files.isReadable(serverLog)) {
          log = "\nserver log:\n" + Files.readString(serverLog, StandardCharsets.UTF_8);
        }
        throw new IOException("exit " + p.exitValue() + ": " + cmd + "\n"
            + Files.readString(out, StandardCharsets.UTF_8) + log);
      }
    } finally {
      Files.deleteIfExists(out);
    }
  }
}
