package io.infrastate.postgres;

import io.infrastate.StateStore;
import io.infrastate.lock.LockOptions;
import io.infrastate.lock.LockProvider;
import io.infrastate.spi.Backend;
import io.infrastate.spi.StateHome;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The workspaces of a PostgreSQL schema: each state of the schema is a workspace of that name,
 * and the URI's {@code state} parameter names the default one. Listing reads the schema's {@code
 * states} table; removing deletes the state's rows from {@code versions}, {@code checkpoints},
 * {@code locks} and {@code states} in one transaction, so that a state is either whole or gone.
 *
 * <p>Instances are thread-safe. The home opens one backend for listing and removing, and one per
 * lock provider it hands out (a lock provider uses its backend's connections); closing the home
 * closes them.
 */
final class PostgresHome implements StateHome {
  private final PostgresBackendProvider provider;
  private final URI uri;
  private final List<PostgresBackend> opened = new ArrayList<>();
  private PostgresBackend base;

  PostgresHome(PostgresBackendProvider provider, URI uri) {
    this.provider = provider;
    this.uri = uri;
  }

  @Override
  public URI uri(String workspace) {
    if (DEFAULT.equals(workspace)) {
      return uri;
    }
    String raw = uri.toString();
    int hash = raw.indexOf('#');
    String fragment = hash < 0 ? "" : raw.substring(hash);
    String noFragment = hash < 0 ? raw : raw.substring(0, hash);
    int q = noFragment.indexOf('?');
    StringBuilder out = new StringBuilder(q < 0 ? noFragment : noFragment.substring(0, q)).append('?');
    if (q >= 0) {
      for (String part : noFragment.substring(q + 1).split("&")) {
        String name = URLDecoder.decode(part.split("=", 2)[0], StandardCharsets.UTF_8);
        if (!part.isEmpty() && !name.equals("state")) {
          out.append(part).append('&');
        }
      }
    }
    out.append("state=").append(URLEncoder.encode(workspace, StandardCharsets.UTF_8));
    return URI.create(out + fragment);
  }

  @Override
  public Backend open(String workspace) {
    return provider.open(uri(workspace));
  }

  @Override
  public LockProvider locks(String workspace, LockOptions options) {
    PostgresBackend backend = provider.parse(uri(workspace)).build();
    synchronized (this) {
      opened.add(backend);
    }
    return backend.lockProvider(options);
  }

  private synchronized PostgresBackend base() {
    if (base == null) {
      base = provider.parse(uri).build();
      opened.add(base);
    }
    return base;
  }

  @Override
  public List<String> workspaces() {
    PostgresBackend b = base();
    Schema schema = b.tables();
    return b.connections().run("list the states of schema '" + schema.name() + "'", c -> {
      List<String> names = new ArrayList<>();
      if (!schema.readable(c)) {
        return List.copyOf(names);
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT state FROM " + schema.table("states")
          + " WHERE state <> ? ORDER BY state")) {
        ps.setString(1, b.state());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String name = rs.getString(1);
            if (StateStore.isValidName(name)) {
              names.add(name);
            }
          }
        }
      }
      return List.copyOf(names);
    });
  }

  @Override
  public void remove(String workspace) {
    PostgresBackend b = base();
    Schema schema = b.tables();
    b.connections().run("delete state '" + workspace + "' of schema '" + schema.name() + "'", c -> {
      if (!schema.readable(c)) {
        return null;
      }
      delete(c, schema, workspace);
      return null;
    });
  }

  private static void delete(Connection c, Schema schema, String state) throws SQLException {
    c.setAutoCommit(false);
    try {
      for (String table : List.of("versions", "checkpoints", "locks", "states")) {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + schema.table(table) + " WHERE state = ?")) {
          ps.setString(1, state);
          ps.executeUpdate();
        }
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  @Override
  public synchronized void close() {
    RuntimeException first = null;
    for (PostgresBackend b : opened) {
      try {
        b.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    opened.clear();
    base = null;
    if (first != null) {
      throw first;
    }
  }
}
