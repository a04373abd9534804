/**
 * The witness's PostgreSQL schema: the SQLite tables of schema.ts, prefixed `witness_` so a witness
 * and a log may share one database. Several `witness serve` processes with the same key may use
 * one database and behave as one witness: the compare-and-swap on `witness_checkpoints` is the
 * only write that matters, and PostgreSQL serialises it across processes (pg-store.ts).
 *
 * Versioned with service/postgres.ts `migrate`: WITNESS_MIGRATIONS[i] moves version i to i + 1;
 * a released entry never changes and none drops data.
 */
export const WITNESS_COMPONENT = 'witness';

const V1 = `
CREATE TABLE witness_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE witness_log_keys (
  origin   TEXT COLLATE "C" NOT NULL,
  vkey     TEXT COLLATE "C" NOT NULL,
  added_at BIGINT NOT NULL,
  PRIMARY KEY (origin, vkey)
);
CREATE TABLE witness_checkpoints (
  origin         TEXT COLLATE "C" PRIMARY KEY,
  origin_hash    TEXT NOT NULL UNIQUE,
  tree_size      BIGINT NOT NULL CHECK (tree_size >= 0),
  root_hash      BYTEA NOT NULL CHECK (length(root_hash) = 32),
  note           TEXT NOT NULL,
  last_timestamp BIGINT NOT NULL CHECK (last_timestamp > 0)
);
CREATE TABLE witness_evidence (
  id          BIGSERIAL PRIMARY KEY,
  origin      TEXT NOT NULL,
  origin_hash TEXT NOT NULL,
  digest      TEXT NOT NULL UNIQUE,
  document    TEXT NOT NULL,
  observed_at BIGINT NOT NULL
);
CREATE INDEX witness_evidence_by_origin ON witness_evidence (origin_hash, id);
`;

// Evidence is proven (the pair cannot both be true) or not; unproven documents have their own cap.
// Old same-size documents (empty proof) are proven by definition; older ones with a proof count as
// unproven, which only means they count towards that cap (they stay kept and served).
const V2 = `
ALTER TABLE witness_evidence ADD COLUMN proven BOOLEAN NOT NULL DEFAULT false;
UPDATE witness_evidence SET proven = true WHERE jsonb_array_length(document::jsonb -> 'proof') = 0;
`;

export const WITNESS_MIGRATIONS: readonly string[] = [V1, V2];
