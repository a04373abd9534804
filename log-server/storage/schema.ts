/**
 * The SQLite schema of a log. Tables are append-only except the advisory witness state, the
 * published size and tokens.
 *   entries      one row per leaf; leaf_hash UNIQUE is the dedup key
 *   nodes        every perfect subtree hash (level 0 = leaf hashes): O(1) reads per proof node
 *   tiles        full tlog-tiles tiles (256 hashes) as 8 KiB blobs, written when they complete
 *   bundle_gzip  full entry bundles gzip-compressed, written when they complete (bundle-gzip.ts)
 *   keysets      the fleet index (one row per fleet-keyset entry)
 *   checkpoints  every checkpoint the log ever signed
 */
export const SCHEMA_FORMAT = 'fleetlog-log/v1';

/**
 * Tables added after v1 was released, created at every open if missing: additions only, never a
 * change to an existing table, so the format stays v1 and an older fleetlog still opens the file
 * (it ignores them; a full bundle it completes has no stored compression and is compressed lazily).
 */
export const SCHEMA_ADDITIONS_SQL = `
CREATE TABLE IF NOT EXISTS bundle_gzip (tile INTEGER PRIMARY KEY, data BLOB NOT NULL);
`;

export const SCHEMA_SQL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE entries (
  idx INTEGER PRIMARY KEY,
  leaf_hash BLOB NOT NULL UNIQUE,
  data BLOB NOT NULL,
  kind INTEGER NOT NULL,
  fleet_id TEXT
);
CREATE TABLE nodes (
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE tiles (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE keysets (
  idx INTEGER PRIMARY KEY,
  fleet_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  evidence_idx INTEGER NOT NULL,
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL
);
CREATE INDEX keysets_by_fleet ON keysets (fleet_id, idx);
CREATE TABLE checkpoints (
  size INTEGER PRIMARY KEY,
  root BLOB NOT NULL,
  note TEXT NOT NULL,
  signed_at_ms INTEGER NOT NULL
);
CREATE TABLE witness_state (
  witness TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE cosignatures (
  size INTEGER NOT NULL,
  witness TEXT NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (size, witness)
) WITHOUT ROWID;
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  hash BLOB NOT NULL UNIQUE,
  created_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER
);
CREATE UNIQUE INDEX tokens_active_name ON tokens (name) WHERE revoked_at_ms IS NULL;
`;

export const ENTRY_KIND = { other: 0, evidence: 1, keyset: 2 } as const;
export const KIND_NAMES = ['other', 'evidence', 'keyset'] as const;

/** Tile blobs are keyed by one integer: index * 64 + level (levels are 0..63). */
export function tileRowId(level: number, index: number): number {
  return index * 64 + level;
}
