/**
 * Opening a fleetlog SQLite database: WAL journal, synchronous=FULL (a committed transaction is on
 * disk before the commit returns, so an acknowledged write survives kill -9 and power loss), and
 * a busy timeout so a second process waits instead of failing.
 *
 * The database file is created 0600 (and an existing one tightened to 0600) before SQLite opens
 * it, whatever the umask or the directory's mode: SQLite creates the -wal and -shm files with the
 * database file's permissions, so all three stay private to the owner.
 */
import { chmodSync, closeSync, existsSync, fchmodSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';

export type Db = Database.Database;

const PRIVATE = 0o600;

function makePrivate(path: string): void {
  if (path === ':memory:' || path === '') return;
  const fd = openSync(path, 'a', PRIVATE);
  try {
    fchmodSync(fd, PRIVATE);
  } finally {
    closeSync(fd);
  }
  for (const side of [`${path}-wal`, `${path}-shm`]) if (existsSync(side)) chmodSync(side, PRIVATE);
}

export function openDatabase(path: string): Db {
  makePrivate(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
