package io.infrastate.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.infrastate.State;
import io.infrastate.crypto.EncryptionUnsupportedException;
import io.infrastate.crypto.KeySource;
import io.infrastate.crypto.Keyring;
import io.infrastate.crypto.StateEncryption;
import io.infrastate.model.HostState;
import io.infrastate.spi.Backend;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL and encryption: rows do not pass through the stored-form hook, so whole-state
 * encryption is refused, typed, writing nothing; secret values work and are stored sealed.
 */
class PostgresEncryptionTest {
  private static final String MARKER = "MARKER-postgres-secret-6a0e";
  static PostgresServer server;

  @BeforeAll
  static void start() {
    server = PostgresServer.get();
  }

  private static List<String> payloads(String schema) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = server.connect();
        PreparedStatement ps = c.prepareStatement("SELECT payload FROM " + schema + ".versions ORDER BY serial");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        byte[] b = rs.getBytes(1);
        out.add(b == null ? "" : new String(b, StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  @Test
  void wholeStateEncryptionIsRefusedAndSecretValuesAreStoredSealed() throws Exception {
    String schema = PostgresServer.freshSchema();
    Keyring keys = Keyring.of(KeySource.passphrase("a passphrase".toCharArray()));
    try (Backend backend = keys.protect(PostgresBackend.builder().host("127.0.0.1").port(server.port())
            .database(PostgresServer.DATABASE).user(PostgresServer.USER).schema(schema).state("prod").build());
        State state = State.load(backend)) {
      state.addHost(HostState.builder("web1").address("10.0.0.1").build()); // the first version is a full one
      state.addHost(HostState.builder("db1").address("10.0.0.9").secretVar("db_password", MARKER).build());
      long serial = state.metadata().serial();
      List<String> before = payloads(schema);

      assertThatThrownBy(() -> StateEncryption.encrypt(backend))
          .isInstanceOf(EncryptionUnsupportedException.class)
          .hasMessageContaining("cannot store the state encrypted").hasMessageContaining("Nothing was written")
          .hasMessageContaining("--secret-var");
      assertThat(StateEncryption.isEncrypted(backend)).isFalse();
      assertThat(payloads(schema)).isEqualTo(before);
      assertThat(backend.load().orElseThrow().snapshot().metadata().serial()).isEqualTo(serial);

      assertThat(String.join("\n", before)).doesNotContain(MARKER).contains("infrastate:secret:v1:");
      assertThat(state.getHost("db1").orElseThrow().secretVar("db_password").orElseThrow().reveal()).isEqualTo(MARKER);
    }
  }
}
