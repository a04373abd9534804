/**
 * The witness database. One row per log in `checkpoints` is the whole of the witness's safety
 * state: the latest size and root it cosigned, the note it cosigned, and the newest timestamp it
 * put on a cosignature for that log (so a clock that goes backwards cannot make it issue an older
 * one). `log_keys` is configuration; `evidence` is what it publishes about split views.
 */
import type { Db } from '../service/sqlite.ts';
import { FleetlogError } from '../core/errors.ts';

export const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- The log keys the witness trusts, per origin. Removing a log removes its keys only: its
-- checkpoint row stays, so re-adding the log can never roll the witness back.
CREATE TABLE log_keys (
  origin   TEXT NOT NULL,
  vkey     TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (origin, vkey)
) STRICT;

CREATE TABLE checkpoints (
  origin         TEXT PRIMARY KEY,
  origin_hash    TEXT NOT NULL UNIQUE,      -- lowercase hex SHA-256(origin), the monitoring path
  tree_size      INTEGER NOT NULL CHECK (tree_size >= 0),
  root_hash      BLOB NOT NULL CHECK (length(root_hash) = 32),
  note           TEXT NOT NULL,             -- checkpoint text, log signature(s), our cosignature
  last_timestamp INTEGER NOT NULL CHECK (last_timestamp > 0)
) STRICT;

CREATE TABLE evidence (
  id          INTEGER PRIMARY KEY,
  origin      TEXT NOT NULL,
  origin_hash TEXT NOT NULL,
  digest      TEXT NOT NULL UNIQUE,         -- dedupes repeats of one conflict
  document    TEXT NOT NULL,                -- specs/witness-evidence.md, one JSON object
  observed_at INTEGER NOT NULL,
  proven      INTEGER NOT NULL DEFAULT 0 CHECK (proven IN (0, 1))  -- 1: the pair cannot both be true
) STRICT;
CREATE INDEX evidence_by_origin ON evidence (origin_hash, id);
`;

export function createSchema(db: Db, meta: Record<string, string>): void {
  db.transaction(() => {
    db.exec(SCHEMA);
    const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    put.run('schema_version', String(SCHEMA_VERSION));
    for (const [k, v] of Object.entries(meta)) put.run(k, v);
  }).immediate();
}

/**
 * Brings a schema-1 database (evidence without the `proven` column) to the current version, once,
 * in one transaction; a no-op otherwise. Old same-size documents (empty proof) are proven by
 * definition; older documents with a proof are counted as unproven, which only means they count
 * towards the unproven cap (they stay kept and served).
 */
export function upgradeSchema(db: Db): void {
  const version = (): string | undefined => {
    try {
      return (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined)
        ?.value;
    } catch {
      return undefined;
    }
  };
  if (version() !== '1') return;
  db.transaction(() => {
    if (version() !== '1') return; // another connection upgraded it first
    db.exec('ALTER TABLE evidence ADD COLUMN proven INTEGER NOT NULL DEFAULT 0 CHECK (proven IN (0, 1))');
    db.exec("UPDATE evidence SET proven = 1 WHERE json_array_length(document, '$.proof') = 0");
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
  }).immediate();
}

export function checkSchema(db: Db, path: string): void {
  let version: string | undefined;
  try {
    version = (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined)
      ?.value;
  } catch {
    version = undefined;
  }
  if (version !== String(SCHEMA_VERSION)) {
    throw new FleetlogError(
      'io',
      `${path} is not a fleetlog witness database (schema ${version ?? 'missing'}, expected ${SCHEMA_VERSION}); run fleetlog witness init`,
    );
  }
}
