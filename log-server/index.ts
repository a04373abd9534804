/**
 * The log-server's in-process API (the contract other components use):
 *   initLog({ dataDir, origin, database? })  creates the database (SQLite, or postgres:// URL) and the 0600 signing key
 *   addToken({ dataDir, name })         returns a new bearer token once (only its hash is stored)
 *   startLogServer({ dataDir, ... })    serves the log over HTTP until close()
 *   openLog({ dataDir, ... })           the same without a socket, for app.request tests
 */
import { FleetlogError } from '../core/errors.ts';
import { assertKeyName } from '../core/note/keys.ts';
import { dbPath, initLogDir, requireLogDir } from './data-dir.ts';
import { SqliteLogStorage } from './storage/sqlite-storage.ts';
import { isPostgresUrl } from '../service/postgres.ts';
import { PgLogStorage } from './storage/pg-storage.ts';
import type { LogStorage, TokenRecord } from './storage/storage.ts';
import { assertTokenName, newToken, tokenHash } from './tokens.ts';

export { startLogServer, openLog, type LogServerOptions, type OpenLog } from './server.ts';
export { createLogApp } from './http/app.ts';
export type { LogStorage } from './storage/storage.ts';
export type { LeadershipListener } from './leadership.ts';

/** `database`: a postgres:// URL for the log's database (default: SQLite in dataDir). */
export async function initLog(options: {
  dataDir: string;
  origin: string;
  database?: string;
}): Promise<{ vkey: string }> {
  try {
    assertKeyName(options.origin);
  } catch (e) {
    throw new FleetlogError('usage', `origin ${(e as Error).message.replace(/^key name /, '')}`);
  }
  return initLogDir(options.dataDir, options.origin, options.database);
}

interface Where {
  readonly dataDir: string;
  /** A postgres:// URL (default: SQLite in dataDir). */
  readonly database?: string;
}

async function withStorage<T>(where: Where, body: (s: LogStorage) => Promise<T>): Promise<T> {
  requireLogDir(where.dataDir);
  const storage = isPostgresUrl(where.database)
    ? await PgLogStorage.open(where.database, { max: 1 })
    : SqliteLogStorage.open(dbPath(where.dataDir));
  try {
    return await body(storage);
  } finally {
    await storage.close();
  }
}

export async function addToken(options: Where & { name: string }): Promise<string> {
  assertTokenName(options.name);
  const token = newToken();
  await withStorage(options, (s) => s.addToken(options.name, tokenHash(token)));
  return token;
}

export async function listTokens(options: Where): Promise<TokenRecord[]> {
  return withStorage(options, (s) => s.listTokens());
}

/** Revokes the active token with this name; false if there was none. */
export async function revokeToken(options: Where & { name: string }): Promise<boolean> {
  return withStorage(options, (s) => s.revokeToken(options.name));
}
