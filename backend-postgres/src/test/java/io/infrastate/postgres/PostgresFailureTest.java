package io.infrastate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.model.HostState;
import io.infrastate.model.ResourceState;
import io.infrastate.State;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import io.infrastate.postgres.PostgresException.Problem;
import io.infrastate.spi.BackendRegistry;
import io.infrastate.testkit.Commits;
import io.infrastate.testkit.JvmProcess;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * What happens when the server or the database is not as expected: a server restart, a writer
 * killed mid-write, a refused connection, wrong credentials, a read-only server, a missing or newer
 * schema, serializable isolation. Each is a real condition of a real server.
 */
class PostgresFailureTest {

  static PostgresServer server;

  @BeforeAll
  static void start() {
    server = PostgresServer.get();
  }

  private static HostState host(String name) {
    return HostState.builder(name).address("10.0.0.1").build();
  }

  private static PostgresBackend.Builder builder(String schema) {
    return PostgresBackend.builder().host("127.0.0.1").port(server.port()).database(PostgresServer.DATABASE)
        .user(PostgresServer.USER).schema(schema).state("prod");
  }

  @Test
  void aWriteAfterTheServerRestartedSucceedsOnANewConnection() throws Exception {
    String schema = PostgresServer.freshSchema();
    try (PostgresBackend backend = builder(schema).build();
        State state = State.load(backend);
        PostgresLockProvider locks = backend.lockProvider(LockOptions.defaults())) {
      state.addHost(host("web01"));
      server.restart();
      state.addHost(host("web02"));
      try (Lock lock = locks.acquire("deploy", LockRequest.of("deploy"), Duration.ZERO)) {
        assertThat(lock.isHeld()).isTrue();
      }
      server.restart();
      assertThat(backend.history(10)).hasSize(2);
    }
    try (State check = State.open(server.uri(schema, "prod"))) {
      assertThat(check.allHosts()).extracting(HostState::name).containsExactly("web01", "web02");
    }
  }

  @Test
  void aWriterKilledMidWriteLosesNoReportedCommitAndBlocksNobody(@TempDir Path tmp) throws Exception {
    String schema = PostgresServer.freshSchema();
    String uri = server.uri(schema, "prod");
    try (State seed = State.open(uri)) {
      seed.addResource("counter:c", ResourceState.builder("counter", "c").data("value", 0).build());
    }
    List<String> reported = new ArrayList<>();
    try (JvmProcess victim = JvmProcess.start(PostgresWriterMain.class, tmp.resolve("victim.log"), uri, "victim", "100000");
        JvmProcess survivor = JvmProcess.start(PostgresWriterMain.class, tmp.resolve("survivor.log"), uri, "survivor", "150")) {
      // kill the victim while it writes back to back, beside a writer it conflicts with
      while (count(victim.output()) < 40 && victim.process().isAlive()) {
        Thread.sleep(20);
      }
      victim.kill();
      reported.addAll(Commits.updates(victim.output()));
      assertThat(survivor.await(5, TimeUnit.MINUTES)).as(survivor.output()).isZero();
      assertThat(count(survivor.output())).isEqualTo(150);
    }
    assertThat(reported).hasSizeGreaterThanOrEqualTo(40);
    try (State check = State.open(uri)) {
      for (String r : reported) {
        assertThat(check.getResource("update:" + r)).as("reported commit " + r).isPresent();
      }
      int updates = check.getResourcesByType("update").size();
      assertThat(check.getResource("counter:c").orElseThrow().data().get("value")).isEqualTo(updates);
      check.addHost(host("after-the-kill"));
      assertThat(check.hasHost("after-the-kill")).isTrue();
    }
  }

  private static int count(String output) {
    return Commits.updates(output).size();
  }

  @Test
  void aRefusedConnectionIsATypedRetryableErrorNamingTheServer() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    try (PostgresBackend backend = PostgresBackend.builder().host("127.0.0.1").port(closed).database("infra")
        .user("infra").build()) {
      assertThatThrownBy(backend::load)
          .isInstanceOfSatisfying(PostgresException.class, e -> {
            assertThat(e.problem()).isEqualTo(Problem.CONNECTION);
            assertThat(e.retryable()).isTrue();
          })
          .hasMessageContaining("127.0.0.1:" + closed)
          .hasMessageContaining("Check that the server is running");
    }
  }

  @Test
  void wrongCredentialsAreATypedErrorThatNeverShowsThePassword() throws Exception {
    String schema = PostgresServer.freshSchema();
    String uri = "postgresql://" + PostgresServer.SECRET_USER + "@127.0.0.1:" + server.port() + "/"
        + PostgresServer.DATABASE + "?schema=" + schema + "&state=prod";
    BackendRegistry wrong = BackendRegistry.of(new PostgresBackendProvider(Map.of("PGPASSWORD", "wrong-pw-4711")));
    try (State state = State.load(wrong.open(uri))) {
      state.addHost(host("never"));
      throw new AssertionError("a wrong password was accepted");
    } catch (PostgresException e) {
      assertThat(e.problem()).isEqualTo(Problem.AUTHENTICATION);
      assertThat(e.getMessage()).contains(PostgresServer.SECRET_USER).contains("PGPASSWORD").doesNotContain("wrong-pw-4711");
    }
    BackendRegistry right = BackendRegistry.of(new PostgresBackendProvider(Map.of("PGPASSWORD", PostgresServer.SECRET_PASSWORD)));
    try (State state = State.load(right.open(uri))) {
      state.addHost(host("web01"));
      assertThat(state.location()).doesNotContain(PostgresServer.SECRET_PASSWORD);
    }
  }

  @Test
  void thePasswordComesFromAPgpassFile(@TempDir Path tmp) throws Exception {
    Path pgpass = tmp.resolve("pgpass");
    Files.writeString(pgpass, "127.0.0.1:" + server.port() + ":" + PostgresServer.DATABASE + ":"
        + PostgresServer.SECRET_USER + ":" + PostgresServer.SECRET_PASSWORD + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
    String uri = "postgresql://" + PostgresServer.SECRET_USER + "@127.0.0.1:" + server.port() + "/"
        + PostgresServer.DATABASE + "?schema=" + PostgresServer.freshSchema() + "&state=prod";
    System.setProperty("org.postgresql.pgpassfile", pgpass.toString());
    try (State state = State.load(BackendRegistry.of(new PostgresBackendProvider(Map.of())).open(uri))) {
      state.addHost(host("web01"));
      assertThat(state.hasHost("web01")).isTrue();
    } finally {
      System.clearProperty("org.postgresql.pgpassfile");
    }
  }

  @Test
  void aReadOnlyServerRefusesWritesWithATypedErrorAndStillServesReads() throws Exception {
    String schema = PostgresServer.freshSchema();
    try (State state = State.load(builder(schema).build())) {
      state.addHost(host("web01"));
    }
    PGSimpleDataSource replica = new PGSimpleDataSource();
    replica.setUrl(server.jdbcUrl(PostgresServer.DATABASE));
    replica.setUser(PostgresServer.USER);
    replica.setOptions("-c default_transaction_read_only=on");
    try (PostgresBackend backend = PostgresBackend.builder().dataSource(replica).schema(schema).state("prod").build();
        State state = State.load(backend)) {
      assertThat(state.hasHost("web01")).isTrue();
      assertThatThrownBy(() -> state.addHost(host("web02")))
          .isInstanceOfSatisfying(PostgresException.class, e -> assertThat(e.problem()).isEqualTo(Problem.READ_ONLY))
          .hasMessageContaining("primary");
      assertThat(state.hasHost("web02")).isFalse();
      assertThat(backend.history(10)).hasSize(1);
    }
  }

  @Test
  void aMissingSchemaIsATypedErrorUntilADbaCreatesItWithSchemaSql(@TempDir Path tmp) throws Exception {
    String schema = PostgresServer.freshSchema();
    try (PostgresBackend backend = builder(schema).createSchema(false).build()) {
      assertThatThrownBy(backend::load)
          .isInstanceOfSatisfying(PostgresException.class, e -> assertThat(e.problem()).isEqualTo(Problem.SCHEMA_MISSING))
          .hasMessageContaining("schema.sql");
    }
    Path sql = tmp.resolve("schema.sql");
    try (var in = PostgresBackend.class.getResourceAsStream(Schema.RESOURCE)) {
      Files.write(sql, in.readAllBytes());
    }
    Process psql = new ProcessBuilder(server.bin().resolve("psql").toString(), "-X", "-q", "-v", "ON_ERROR_STOP=1",
        "-v", "schema=" + schema, "-h", "127.0.0.1", "-p", String.valueOf(server.port()), "-U", PostgresServer.USER,
        "-d", PostgresServer.DATABASE, "-f", sql.toString()).redirectErrorStream(true).start();
    String out = new String(psql.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(psql.waitFor()).as(out).isZero();
    try (PostgresBackend backend = builder(schema).createSchema(false).build(); State state = State.load(backend)) {
      state.addHost(host("web01"));
      assertThat(backend.load().orElseThrow().snapshot().hasHost("web01")).isTrue();
    }
  }

  @Test
  void aSchemaFromANewerLibraryIsRefusedForReadsAndWrites() throws Exception {
    String schema = PostgresServer.freshSchema();
    try (State state = State.load(builder(schema).build())) {
      state.addHost(host("web01"));
    }
    try (Connection c = server.connect(); Statement st = c.createStatement()) {
      st.execute("UPDATE " + schema + ".schema_version SET version = " + (Schema.VERSION + 1));
    }
    try (PostgresBackend backend = builder(schema).build()) {
      assertThatThrownBy(backend::load)
          .isInstanceOfSatisfying(PostgresException.class, e -> assertThat(e.problem()).isEqualTo(Problem.SCHEMA_TOO_NEW))
          .hasMessageContaining("version " + (Schema.VERSION + 1));
    }
  }

  @Test
  void writersUnderSerializableIsolationStillAllFinish() throws Exception {
    String schema = PostgresServer.freshSchema();
    PGSimpleDataSource serializable = new PGSimpleDataSource();
    serializable.setUrl(server.jdbcUrl(PostgresServer.DATABASE));
    serializable.setUser(PostgresServer.USER);
    serializable.setOptions("-c default_transaction_isolation=serializable");
    int writers = 4;
    int updates = 25;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        String name = "w" + w;
        done.add(pool.submit(() -> {
          try (PostgresBackend b = PostgresBackend.builder().dataSource(serializable).schema(schema).state("prod").build();
              State state = State.load(b)) {
            for (int i = 0; i < updates; i++) {
              PostgresWriterMain.increment(state, name, i);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    try (State check = State.load(builder(schema).build())) {
      assertThat(check.getResource("counter:c").orElseThrow().data().get("value")).isEqualTo(writers * updates);
      assertThat(check.getResourcesByType("update")).hasSize(writers * updates);
    }
  }

  @Test
  void uriFormsOpenTheSameStateAndNeverCarryAPassword() throws Exception {
    String schema = PostgresServer.freshSchema();
    PostgresBackendProvider provider = new PostgresBackendProvider(Map.of());
    String query = "?schema=" + schema + "&state=prod&user=" + PostgresServer.USER;
    try (State a = State.open("postgresql://127.0.0.1:" + server.port() + "/" + PostgresServer.DATABASE + query)) {
      a.addHost(host("web01"));
    }
    try (State b = State.load(BackendRegistry.of(provider).open("jdbc:postgresql://127.0.0.1:" + server.port() + "/"
        + PostgresServer.DATABASE + query))) {
      assertThat(b.hasHost("web01")).isTrue();
      assertThat(b.location()).isEqualTo("postgresql://127.0.0.1:" + server.port() + "/"
          + PostgresServer.DATABASE + "?schema=" + schema + "&state=prod");
    }
    assertThatThrownBy(() -> provider.parse(URI.create("postgresql://infra:hunter2@db/infra")))
        .isInstanceOf(io.infrastate.model.UnknownBackendException.class)
        .hasMessageContaining("PGPASSWORD")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    assertThatThrownBy(() -> provider.parse(URI.create("postgresql://db/infra?password=hunter2")))
        .isInstanceOf(io.infrastate.model.UnknownBackendException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    assertThatThrownBy(() -> provider.parse(URI.create("postgresql://db/infra?shema=x")))
        .isInstanceOf(io.infrastate.model.UnknownBackendException.class)
        .hasMessageContaining("'shema'");
    assertThatThrownBy(() -> provider.parse(URI.create("jdbc:mysql://db/infra")))
        .isInstanceOf(io.infrastate.model.UnknownBackendException.class)
        .hasMessageContaining("another database");
    assertThatThrownBy(() -> provider.parse(URI.create("postgresql://db/")))
        .isInstanceOf(io.infrastate.model.UnknownBackendException.class)
        .hasMessageContaining("names no database");
  }
}
