/**
 * Opening a fleetlog SQLite database: WAL journal, synchronous=FULL (a committed transaction is on
 * disk before the commit returns, so an acknowledged write survives kill -9 and power loss), and
 * a busy timeout so a second process waits instead of failing.
 */
import Database from 'better-sqlite3';

export type Db = Database.Database;

export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
