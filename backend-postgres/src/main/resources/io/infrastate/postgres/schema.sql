-- infrastate: the PostgreSQL schema of infrastate-backend-postgres, schema version 2.
--
-- The backend creates this itself on its first write unless createSchema=false. To create it
-- by hand (say, as a DBA, with a role that the application's role does not need to be):
--
--   psql -v schema=infrastate -f schema.sql
--
-- then grant the application's role USAGE on the schema and SELECT, INSERT, UPDATE, DELETE on
-- its tables. One schema holds any number of states, each named by the URI's state parameter.
-- A newer library that needs a newer schema says so; this library refuses a schema newer than 2,
-- and upgrades one of version 1 (the first to open it adds the content_hash columns).

CREATE SCHEMA IF NOT EXISTS :"schema";

CREATE TABLE IF NOT EXISTS :"schema".schema_version (
  version integer NOT NULL
);

-- content_hash: the SHA-256 of a row's content as infrastate wrote it (RowHash.java); a row whose
-- hash is missing or differs was changed outside infrastate: an external edit
-- (docs/external-edits.md).

-- The head of each state: its latest version. Every write advances it by compare-and-swap
-- (UPDATE ... WHERE serial = expected AND lineage = expected) in the transaction that inserts
-- the version's row.
CREATE TABLE IF NOT EXISTS :"schema".states (
  state      text PRIMARY KEY,
  serial     bigint NOT NULL,
  lineage    text NOT NULL,
  written_at timestamptz NOT NULL,
  content_hash bytea
);

-- One row per version: who, what and why (and the locks it was written under, with their
-- fencing tokens, when the library records them), and the change. A delta's payload is a state.json
-- document with the version's metadata and the hosts and resources it added or replaced; the
-- keys it removed are in removed_hosts and removed_resources. A full version (the first one, a
-- rollback, a replacement) has no payload: its whole content is its checkpoint row.
CREATE TABLE IF NOT EXISTS :"schema".versions (
  state             text NOT NULL,
  serial            bigint NOT NULL,
  lineage           text NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('full', 'delta')),
  written_at        timestamptz NOT NULL,
  operator          text NOT NULL,
  operation         text NOT NULL,
  reason            text NOT NULL,
  write_id          text NOT NULL,
  removed_hosts     text[] NOT NULL,
  removed_resources text[] NOT NULL,
  lock_names        text[] NOT NULL DEFAULT '{}',
  lock_tokens       bigint[] NOT NULL DEFAULT '{}',
  payload           bytea,
  content_hash      bytea,
  PRIMARY KEY (state, serial)
);

-- The complete state.json of every full version and of the two newest K-th versions (written
-- after the commit, off the writer's path). A load reads the newest checkpoint and the versions
-- after it.
CREATE TABLE IF NOT EXISTS :"schema".checkpoints (
  state   text NOT NULL,
  serial  bigint NOT NULL,
  lineage text NOT NULL,
  content bytea NOT NULL,
  content_hash bytea,
  PRIMARY KEY (state, serial)
);

-- Locks of PostgresLockProvider: one row per held lock, the document as LockInfoCodec writes it;
-- version grows with every change so that a renewal, release or takeover is a compare-and-swap.
CREATE TABLE IF NOT EXISTS :"schema".locks (
  state    text NOT NULL,
  name     text NOT NULL,
  version  bigint NOT NULL,
  document text NOT NULL,
  PRIMARY KEY (state, name)
);

INSERT INTO :"schema".schema_version (version)
  SELECT 2 WHERE NOT EXISTS (SELECT 1 FROM :"schema".schema_version);
