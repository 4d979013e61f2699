package io.infrastate.postgres;

import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.testkit.LockProviderContract;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The lock provider contract against a real PostgreSQL server: locks are rows of a table. */
class PostgresLockProviderContractTest extends LockProviderContract<String> {
  static PostgresServer server;
  static final List<PostgresBackend> BACKENDS = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    server = PostgresServer.get();
  }

  @AfterAll
  static void closeBackends() {
    BACKENDS.forEach(PostgresBackend::close);
  }

  @Override
  protected String newStorage() {
    return "locks-" + UUID.randomUUID();
  }

  @Override
  protected LockProvider openProvider(String state, LockOptions options) {
    PostgresBackend b = PostgresBackend.builder().host("127.0.0.1").port(server.port())
        .database(PostgresServer.DATABASE).user(PostgresServer.USER).schema("locktest").state(state).build();
    BACKENDS.add(b);
    return b.lockProvider(options);
  }
}
