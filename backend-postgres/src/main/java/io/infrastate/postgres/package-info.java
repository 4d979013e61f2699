/**
 * The PostgreSQL backend (API): a state in a database the team already runs, backs up and
 * replicates, kept as one row per version (the change and its audit entry), a head row that every
 * write advances by compare-and-swap, and full checkpoints; and a lock provider whose locks are
 * rows with leases.
 *
 * <h2>Tables</h2>
 *
 * <pre>
 * SCHEMA.states          the head of each state: its latest serial and lineage
 * SCHEMA.versions        one row per version: audit entry, kind, change (state.json payload)
 * SCHEMA.checkpoints     the whole state.json of full versions and of the newest K-th versions
 * SCHEMA.locks           locks of {@link io.infrastate.postgres.PostgresLockProvider} (LockInfo JSON)
 * SCHEMA.schema_version  the schema version (1)
 * </pre>
 *
 * <h2>URI</h2>
 *
 * {@code postgresql://[USER@]HOST[:PORT]/DATABASE?schema=infrastate&state=default}; see {@link
 * io.infrastate.postgres.PostgresBackendProvider}. The DDL is {@code
 * io/infrastate/postgres/schema.sql} in this artifact. Design notes on concurrency and crashes are
 * at the top of {@link io.infrastate.postgres.PostgresBackend}'s source.
 */
package io.infrastate.postgres;
