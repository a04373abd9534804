/**
 * Durable acceptor slots in SQLite (service/sqlite.ts: WAL, synchronous=FULL), so a promise or an
 * acceptance survives an HSM restart, as Paxos requires. secure_delete overwrites the bytes of a
 * replaced value, so a destroyed record does not linger in free pages.
 */
import { openDatabase, type Db } from '../../service/sqlite.ts';
import type { AcceptorSlot, AcceptorStore } from './acceptor.ts';
import { ZERO_BALLOT, type Ballot } from './ballot.ts';

interface Row {
  promised_round: number;
  promised_node: number;
  accepted_round: number;
  accepted_node: number;
  value: Buffer | null;
}

export class SqliteAcceptorStore implements AcceptorStore {
  readonly #db: Db;
  readonly #get;
  readonly #put;
  readonly #keys;
  readonly #getFloor;
  readonly #setFloor;

  constructor(path: string) {
    this.#db = openDatabase(path);
    this.#db.pragma('secure_delete = ON');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS acceptor_slots (
      key TEXT PRIMARY KEY,
      promised_round INTEGER NOT NULL, promised_node INTEGER NOT NULL,
      accepted_round INTEGER NOT NULL, accepted_node INTEGER NOT NULL,
      value BLOB
    ) STRICT`);
    // One row: the promise floor for registers that have no slot (acceptor.ts).
    this.#db.exec(`CREATE TABLE IF NOT EXISTS acceptor_floor (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      round INTEGER NOT NULL, node INTEGER NOT NULL
    ) STRICT`);
    this.#get = this.#db.prepare<[string], Row>(
      'SELECT promised_round, promised_node, accepted_round, accepted_node, value FROM acceptor_slots WHERE key = ?',
    );
    this.#put = this.#db.prepare(
      'INSERT OR REPLACE INTO acceptor_slots (key, promised_round, promised_node, accepted_round, accepted_node, value) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#keys = this.#db.prepare<[], { key: string }>('SELECT key FROM acceptor_slots ORDER BY key');
    this.#getFloor = this.#db.prepare<[], { round: number; node: number }>(
      'SELECT round, node FROM acceptor_floor WHERE id = 1',
    );
    this.#setFloor = this.#db.prepare('INSERT OR REPLACE INTO acceptor_floor (id, round, node) VALUES (1, ?, ?)');
  }

  get(key: string): AcceptorSlot | undefined {
    const r = this.#get.get(key);
    if (!r) return undefined;
    return {
      promised: { round: r.promised_round, node: r.promised_node },
      accepted: { round: r.accepted_round, node: r.accepted_node },
      value: r.value === null ? null : new Uint8Array(r.value),
    };
  }

  put(key: string, slot: AcceptorSlot): void {
    this.#put.run(
      key,
      slot.promised.round,
      slot.promised.node,
      slot.accepted.round,
      slot.accepted.node,
      slot.value === null ? null : Buffer.from(slot.value),
    );
  }

  keys(): string[] {
    return this.#keys.all().map((r) => r.key);
  }

  floor(): Ballot {
    const r = this.#getFloor.get();
    return r ? { round: r.round, node: r.node } : ZERO_BALLOT;
  }

  setFloor(ballot: Ballot): void {
    this.#setFloor.run(ballot.round, ballot.node);
  }

  /** Rows in the slot table, for tests and status: it grows with registers that hold values only. */
  rowCount(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM acceptor_slots').get() as { n: number }).n;
  }

  close(): void {
    this.#db.close();
  }
}
