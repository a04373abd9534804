/**
 * A log's data directory: `log.db` (SQLite), `log.key` (the signing key, mode 0600) and, while a
 * server runs, `writer.lock` held by it (the single-writer guard, writer-lock.ts).
 * On PostgreSQL the directory holds only the key: every process serving the log has a copy of it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EMPTY_ROOT } from '../core/merkle/hash.ts';
import { signCheckpoint } from '../core/checkpoint.ts';
import { FleetlogError } from '../core/errors.ts';
import { generateKey, KEY_TYPE_ED25519, parseSignerKey, type SignerKey } from '../core/note/keys.ts';
import { ed25519NoteSigner } from '../core/note/verifiers.ts';
import { readKeyFile, writeKeyFile } from '../service/key-file.ts';
import { isPostgresUrl } from '../service/postgres.ts';
import { PgLogStorage } from './storage/pg-storage.ts';
import { SqliteLogStorage } from './storage/sqlite-storage.ts';

export function dbPath(dataDir: string): string {
  return join(dataDir, 'log.db');
}

export function keyPath(dataDir: string): string {
  return join(dataDir, 'log.key');
}

/**
 * Refuses a data directory that holds no log, with the command that makes one. The signing key is
 * the mark of a log (whichever database backend holds its entries), so its absence is checked.
 */
export function requireLogDir(dataDir: string): void {
  if (!existsSync(keyPath(dataDir)))
    throw new FleetlogError(
      'not_found',
      `${dataDir} holds no log (no ${keyPath(dataDir)}); create one first with: fleetlog log init --data ${dataDir} --origin <origin>`,
    );
}

/**
 * Creates the database (SQLite in the directory, or the PostgreSQL database `database` names) and
 * the signing key; signs the empty tree. Refuses to touch an existing log. On PostgreSQL the key
 * file is written only once the database accepted the new log.
 */
export async function initLogDir(dataDir: string, origin: string, database?: string): Promise<{ vkey: string }> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if ((!database && existsSync(dbPath(dataDir))) || existsSync(keyPath(dataDir))) {
    throw new FleetlogError('io', `${dataDir} already holds a log; refusing to overwrite it`);
  }
  const { skey, vkey } = generateKey(origin, KEY_TYPE_ED25519);
  const key = parseSignerKey(skey);
  const note = signCheckpoint({ origin, size: 0, rootHash: EMPTY_ROOT }, [ed25519NoteSigner(key)]);
  const init = { origin, vkey, checkpoint: { size: 0, rootHash: EMPTY_ROOT, note, signedAtMs: Date.now() } };
  if (isPostgresUrl(database)) {
    await (await PgLogStorage.create(database, init)).close();
    writeKeyFile(keyPath(dataDir), skey);
    return { vkey };
  }
  writeKeyFile(keyPath(dataDir), skey);
  await SqliteLogStorage.create(dbPath(dataDir), init).close();
  return { vkey };
}

/** Loads the signing key and checks it is the key the database was created with. */
export function loadSigningKey(dataDir: string, expectedVkey: string): SignerKey {
  const key = parseSignerKey(readKeyFile(keyPath(dataDir)));
  if (key.vkey !== expectedVkey)
    throw new FleetlogError(
      'bad_key',
      `${keyPath(dataDir)} is not the key this log was created with (${expectedVkey})`,
    );
  return key;
}

export { acquireWriterLock } from './writer-lock.ts';
