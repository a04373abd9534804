/**
 * The log-server's in-process API (the contract other components use):
 *   initLog({ dataDir, origin })        creates the database and the 0600 signing key; prints nothing
 *   addToken({ dataDir, name })         returns a new bearer token once (only its hash is stored)
 *   startLogServer({ dataDir, ... })    serves the log over HTTP until close()
 *   openLog({ dataDir, ... })           the same without a socket, for app.request tests
 */
import { FleetlogError } from '../core/errors.ts';
import { assertKeyName } from '../core/note/keys.ts';
import { dbPath, initLogDir, requireLogDir } from './data-dir.ts';
import { SqliteLogStorage } from './storage/sqlite-storage.ts';
import type { TokenRecord } from './storage/storage.ts';
import { assertTokenName, newToken, tokenHash } from './tokens.ts';

export { startLogServer, openLog, type LogServerOptions, type OpenLog } from './server.ts';
export { createLogApp } from './http/app.ts';
export type { LogStorage } from './storage/storage.ts';

export async function initLog(options: { dataDir: string; origin: string }): Promise<{ vkey: string }> {
  try {
    assertKeyName(options.origin);
  } catch (e) {
    throw new FleetlogError('usage', `origin ${(e as Error).message.replace(/^key name /, '')}`);
  }
  return initLogDir(options.dataDir, options.origin);
}

async function withStorage<T>(dataDir: string, body: (s: SqliteLogStorage) => Promise<T>): Promise<T> {
  requireLogDir(dataDir);
  const storage = SqliteLogStorage.open(dbPath(dataDir));
  try {
    return await body(storage);
  } finally {
    await storage.close();
  }
}

export async function addToken(options: { dataDir: string; name: string }): Promise<string> {
  assertTokenName(options.name);
  const token = newToken();
  await withStorage(options.dataDir, (s) => s.addToken(options.name, tokenHash(token)));
  return token;
}

export async function listTokens(options: { dataDir: string }): Promise<TokenRecord[]> {
  return withStorage(options.dataDir, (s) => s.listTokens());
}

/** Revokes the active token with this name; false if there was none. */
export async function revokeToken(options: { dataDir: string; name: string }): Promise<boolean> {
  return withStorage(options.dataDir, (s) => s.revokeToken(options.name));
}
