/**
 * A log's data directory: `log.db` (SQLite), `log.key` (the signing key, mode 0600) and, while a
 * server runs, `serve.lock` (its pid; the single-writer guard). On PostgreSQL the directory holds
 * only the key: every process serving the log has a copy of it.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, existsSync, constants } from 'node:fs';
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

function lockPath(dataDir: string): string {
  return join(dataDir, 'serve.lock');
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

const heldInProcess = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the single-writer lock for a data directory. A lock left by a dead process (kill -9) is
 * taken over; a live holder makes this fail. Returns the release function.
 */
export function acquireWriterLock(dataDir: string): () => void {
  const path = lockPath(dataDir);
  if (heldInProcess.has(path))
    throw new FleetlogError('conflict', `a log server in this process already serves ${dataDir}`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      heldInProcess.add(path);
      return () => {
        heldInProcess.delete(path);
        rmSync(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new FleetlogError('io', `cannot create ${path}: ${(e as NodeJS.ErrnoException).code}`);
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new FleetlogError(
          'conflict',
          `another log server (pid ${pid}) serves ${dataDir}; a log has exactly one writer`,
        );
      }
      rmSync(path, { force: true }); // stale: its holder is gone
    }
  }
  throw new FleetlogError('conflict', `cannot take the writer lock ${path}`);
}
