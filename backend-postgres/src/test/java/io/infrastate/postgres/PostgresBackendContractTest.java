package io.infrastate.postgres;

import io.infrastate.codec.StateCodec;
import io.infrastate.model.Snapshot;
import io.infrastate.spi.Backend;
import io.infrastate.testkit.BackendContract;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;

/**
 * The backend contract against a real PostgreSQL server.
 *
 * <p>How "an outside tool replaces the stored content" maps to the tables: the tool commits the
 * next version as a full one, as the backend itself does for a replacement: it advances the head
 * row to the content's serial and lineage (the next serial and the same lineage when the content
 * does not parse), inserts a {@code full} versions row and the content, byte for byte, as that
 * serial's checkpoint. {@link #readRaw} reads the checkpoint of the head's serial, or else encodes
 * the version a fresh backend loads.
 */
class PostgresBackendContractTest extends BackendContract<PostgresBackendContractTest.Storage> {
  record Storage(String schema, String state) {}

  static PostgresServer server;

  @BeforeAll
  static void start() {
    server = PostgresServer.get();
  }

  @Override
  protected Storage newStorage() {
    return new Storage("contract", "s-" + UUID.randomUUID());
  }

  @Override
  protected Backend openBackend(Storage storage) {
    return backend(storage);
  }

  static PostgresBackend backend(Storage storage) {
    return PostgresBackend.builder().host("127.0.0.1").port(server.port()).database(PostgresServer.DATABASE)
        .user(PostgresServer.USER).schema(storage.schema()).state(storage.state()).build();
  }

  @Override
  protected void writeRaw(Storage storage, byte[] content) throws Exception {
    try (PostgresBackend b = backend(storage)) {
      b.history(1); // makes sure the schema exists (a read creates nothing; the tables may be missing)
    }
    String s = storage.schema();
    try (Connection c = server.connect()) {
      c.setAutoCommit(false);
      long serial;
      String lineage;
      long headSerial = -1;
      String headLineage = "";
      try (PreparedStatement ps = c.prepareStatement("SELECT serial, lineage FROM " + s + ".states WHERE state = ? FOR UPDATE")) {
        ps.setString(1, storage.state());
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            headSerial = rs.getLong(1);
            headLineage = rs.getString(2);
          }
        }
      }
      try {
        Snapshot parsed = StateCodec.decode(content, "raw", "");
        serial = parsed.metadata().serial();
        lineage = parsed.metadata().lineage();
      } catch (RuntimeException unparsable) {
        serial = headSerial + 1;
        lineage = headLineage;
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + s + ".states (state, serial, lineage, written_at)"
          + " VALUES (?, ?, ?, now()) ON CONFLICT (state) DO UPDATE SET serial = excluded.serial, lineage = excluded.lineage")) {
        ps.setString(1, storage.state());
        ps.setLong(2, serial);
        ps.setString(3, lineage);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + s + ".versions (state, serial, lineage, kind,"
          + " written_at, operator, operation, reason, write_id, removed_hosts, removed_resources)"
          + " VALUES (?, ?, ?, 'full', now(), 'tool', 'replace', '', 'tool', '{}', '{}')"
          + " ON CONFLICT (state, serial) DO UPDATE SET lineage = excluded.lineage, kind = 'full', payload = NULL")) {
        ps.setString(1, storage.state());
        ps.setLong(2, serial);
        ps.setString(3, lineage);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + s + ".checkpoints (state, serial, lineage, content)"
          + " VALUES (?, ?, ?, ?) ON CONFLICT (state, serial) DO UPDATE SET lineage = excluded.lineage, content = excluded.content")) {
        ps.setString(1, storage.state());
        ps.setLong(2, serial);
        ps.setString(3, lineage);
        ps.setBytes(4, content);
        ps.executeUpdate();
      }
      c.commit();
    }
  }

  @Override
  protected Optional<byte[]> readRaw(Storage storage) throws Exception {
    String s = storage.schema();
    try (Connection c = server.connect();
        PreparedStatement ps = c.prepareStatement("SELECT k.content FROM " + s + ".states h JOIN " + s
            + ".checkpoints k ON k.state = h.state AND k.serial = h.serial WHERE h.state = ?")) {
      ps.setString(1, storage.state());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return Optional.of(rs.getBytes(1));
        }
      }
    } catch (java.sql.SQLException e) {
      if (!"42P01".equals(e.getSQLState()) && !"3F000".equals(e.getSQLState())) {
        throw e;
      }
    }
    try (PostgresBackend b = backend(storage)) {
      return b.load().map(st -> StateCodec.encode(st.snapshot()));
    }
  }
}
