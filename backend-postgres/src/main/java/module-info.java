/**
 * The PostgreSQL backend ({@code postgresql:} URIs): a state in a PostgreSQL schema, written with
 * JDBC, and its lock provider. The builder takes a {@code javax.sql.DataSource}, so {@code
 * java.sql} is read transitively; the driver is an automatic module ({@code org.postgresql.jdbc}).
 */
@SuppressWarnings("requires-automatic")
module io.infrastate.postgres {
  requires transitive io.infrastate.core;
  requires transitive java.sql;
  requires org.postgresql.jdbc;
  // the driver's DataSource is a JNDI Referenceable; an automatic module does not resolve it
  requires java.naming;
  requires com.github.benmanes.caffeine;
  requires org.slf4j;

  exports io.infrastate.postgres;

  provides io.infrastate.spi.BackendProvider with io.infrastate.postgres.PostgresBackendProvider;
}
