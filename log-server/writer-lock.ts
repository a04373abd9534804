/**
 * The single-writer lock of a log's data directory: `DIR/writer.lock`, a one-row SQLite database
 * held in `locking_mode=EXCLUSIVE` after a write. SQLite takes a POSIX advisory lock on the file,
 * which the kernel drops the moment the holding process dies (kill -9 included), so a supervisor
 * can restart the server at once. Nothing is ever "stale": no PID that a dead process leaves
 * behind, and no PID that an unrelated process in a container could happen to carry.
 *
 * Guarantee: while one process (or one server in this process) holds the lock, any other attempt
 * fails at once with `conflict`. The row holds the holder's PID for operators only; the lock itself
 * never reads it.
 */
import { closeSync, fchmodSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FleetlogError } from '../core/errors.ts';

export function writerLockPath(dataDir: string): string {
  return join(dataDir, 'writer.lock');
}

/** SQLite's own in-process bookkeeping already refuses a second holder; this gives the clearer message. */
const heldInProcess = new Set<string>();

/** Takes the lock or throws `conflict` (another live writer) / `io`. Returns the release function. */
export function acquireWriterLock(dataDir: string): () => void {
  const path = writerLockPath(dataDir);
  if (heldInProcess.has(path))
    throw new FleetlogError('conflict', `a log server in this process already serves ${dataDir}`);
  let db: Database.Database;
  try {
    const fd = openSync(path, 'a', 0o600);
    fchmodSync(fd, 0o600);
    closeSync(fd);
    db = new Database(path, { timeout: 0 });
  } catch (e) {
    throw new FleetlogError('io', `cannot open the writer lock ${path}: ${(e as Error).message}`);
  }
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the EXCLUSIVE lock; in this locking mode it is kept until close.
    db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER, since TEXT)');
    db.prepare('INSERT OR REPLACE INTO holder (id, pid, since) VALUES (1, ?, ?)').run(
      process.pid,
      new Date().toISOString(),
    );
  } catch (e) {
    db.close();
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
      throw new FleetlogError('conflict', `another log server serves ${dataDir}; a log has exactly one writer`);
    throw new FleetlogError('io', `cannot take the writer lock ${path}: ${(e as Error).message}`);
  }
  heldInProcess.add(path);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    heldInProcess.delete(path);
    db.close();
  };
}
