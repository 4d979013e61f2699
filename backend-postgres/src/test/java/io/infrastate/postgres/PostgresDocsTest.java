package io.infrastate.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.infrastate.model.AuditEntry;
import io.infrastate.model.HostState;
import io.infrastate.State;
import io.infrastate.model.VersionInfo;
import io.infrastate.lock.Lock;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** The example of docs/postgres.md is the code below, and it runs. */
class PostgresDocsTest {
  @Test
  void theDocsExampleRunsAndIsShownAsItIsHere() throws Exception {
    PostgresServer server = PostgresServer.get();
    PGSimpleDataSource pool = new PGSimpleDataSource();
    pool.setUrl(server.jdbcUrl(PostgresServer.DATABASE));
    pool.setUser(PostgresServer.USER);
    List<VersionInfo> history = example(pool);
    assertThat(history).hasSize(1);
    assertThat(history.get(0).message()).isEqualTo("provision web tier (OPS-42)");

    String page = Files.readString(Path.of("..", "docs", "postgres.md"));
    String source = Files.readString(Path.of("src/test/java/io/infrastate/postgres/PostgresDocsTest.java"));
    String start = "// --8<-- [start:" + "datasource]";
    String end = "// --8<-- [end:" + "datasource]";
    String snippet = source.substring(source.indexOf(start) + start.length(), source.indexOf(end));
    for (String line : snippet.strip().split("\n")) {
      assertThat(page).as("docs/postgres.md must show the example as it is here").contains(line.strip());
    }
  }

  private static List<VersionInfo> example(DataSource pool) {
    List<VersionInfo> history;
    // --8<-- [start:datasource]
    try (PostgresBackend backend = PostgresBackend.builder()
            .dataSource(pool) // the application's pool: the backend never closes it
            .schema("infrastate")
            .state("prod")
            .build();
        State state = State.load(backend);
        PostgresLockProvider locks = backend.lockProvider(LockOptions.defaults());
        Lock deploy = locks.acquire("deploy", LockRequest.of("deploy api v2"), Duration.ofMinutes(5))) {
      state.addHost(HostState.builder("web01").address("10.0.0.5").build(),
          AuditEntry.of("provision web tier").withReason("OPS-42"));
      history = state.history();
    }
    // --8<-- [end:datasource]
    return history;
  }
}
