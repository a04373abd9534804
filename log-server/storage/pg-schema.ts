/**
 * The PostgreSQL schema of a log: the SQLite schema's tables (schema.ts), prefixed `log_` so a log
 * and a witness may share one database, plus `log_lease`, the leader lease of the processes that
 * serve the log (log-server/cluster/lease.ts).
 *
 * Versioned with service/postgres.ts `migrate`: LOG_MIGRATIONS[i] moves version i to i + 1. A new
 * version is a new entry at the end; an entry, once released, never changes and never drops data.
 */
export const LOG_COMPONENT = 'log';

const V1 = `
CREATE TABLE log_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE log_entries (
  idx BIGINT PRIMARY KEY,
  leaf_hash BYTEA NOT NULL UNIQUE,
  data BYTEA NOT NULL,
  kind SMALLINT NOT NULL,
  fleet_id TEXT COLLATE "C"
);
CREATE TABLE log_nodes (
  level SMALLINT NOT NULL,
  idx BIGINT NOT NULL,
  hash BYTEA NOT NULL,
  PRIMARY KEY (level, idx)
);
CREATE TABLE log_tiles (id BIGINT PRIMARY KEY, data BYTEA NOT NULL);
CREATE TABLE log_keysets (
  idx BIGINT PRIMARY KEY,
  fleet_id TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  evidence_idx BIGINT NOT NULL,
  not_before BIGINT NOT NULL,
  not_after BIGINT NOT NULL
);
CREATE INDEX log_keysets_by_fleet ON log_keysets (fleet_id, idx);
CREATE TABLE log_checkpoints (
  size BIGINT PRIMARY KEY,
  root BYTEA NOT NULL,
  note TEXT NOT NULL,
  signed_at_ms BIGINT NOT NULL
);
CREATE TABLE log_witness_state (witness TEXT PRIMARY KEY, size BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL);
CREATE TABLE log_cosignatures (size BIGINT NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL, PRIMARY KEY (size, witness));
CREATE TABLE log_tokens (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  hash BYTEA NOT NULL UNIQUE,
  created_at_ms BIGINT NOT NULL,
  revoked_at_ms BIGINT
);
CREATE UNIQUE INDEX log_tokens_active_name ON log_tokens (name) WHERE revoked_at_ms IS NULL;
-- One row. token is the fencing token: it grows by one at every change of holder, and every
-- write of the sequencer checks it inside its own transaction.
CREATE TABLE log_lease (
  id SMALLINT PRIMARY KEY CHECK (id = 1),
  token BIGINT NOT NULL,
  holder TEXT,
  url TEXT,
  expires_at TIMESTAMPTZ NOT NULL
);
INSERT INTO log_lease (id, token, holder, url, expires_at) VALUES (1, 0, NULL, NULL, '-infinity');
`;

/** Full entry bundles gzip-compressed when they complete (bundle-gzip.ts). */
const V2 = `
CREATE TABLE log_bundle_gzip (tile BIGINT PRIMARY KEY, data BYTEA NOT NULL);
`;

export const LOG_MIGRATIONS: readonly string[] = [V1, V2];
