/**
 * The witness's SQLite state behind prepared statements. The one write that matters is the
 * compare-and-swap in `compareAndSwap`: it only succeeds if the row still holds exactly the state
 * the caller checked, so two requests (in one process or in two processes sharing the database)
 * can never both advance a log from the same size, and a smaller tree can never overwrite a larger.
 */
import { sha256 } from '../core/crypto/sha256.ts';
import { toHex, utf8 } from '../core/bytes.ts';
import { openDatabase, type Db } from '../service/sqlite.ts';
import { checkSchema, upgradeSchema } from './schema.ts';

/** What the witness last cosigned for one log. */
export interface LogState {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  /** The cosigned checkpoint: note text, the log's verified signature line(s), our cosignature. */
  readonly note: string;
  /** The newest timestamp on any cosignature issued for this log (seconds). */
  readonly lastTimestamp: number;
}

export interface LogSummary {
  readonly origin: string;
  readonly originHash: string;
  readonly vkeys: string[];
  readonly treeSize: number | undefined;
  readonly lastTimestamp: number | undefined;
}

export interface StoredEvidence {
  readonly id: number;
  readonly origin: string;
  readonly document: string;
  readonly proven: boolean;
}

/**
 * Unproven evidence documents (a consistency proof that merely fails) kept per log. Anyone holding
 * one genuine checkpoint larger than the witness's can make such documents with random proof
 * lines, so they have their own small cap and can never crowd out proven ones.
 */
export const MAX_UNPROVEN_EVIDENCE_PER_LOG = 20;

/**
 * Proven evidence documents (specs/witness-evidence.md) kept per log. Only the log itself can add
 * one (each needs a conflicting checkpoint it signed), so nobody else can fill this cap, and the
 * first document already proves the fork. Without a cap a forking log could sign new forks as fast
 * as the witness stores them (about 180 a second here): the disk fills, and every unauthenticated
 * GET /evidence grows with it (102,000 documents: 73 MB and 8 s of the main thread per request).
 * Later forks are counted in /metrics, not stored.
 */
export const MAX_PROVEN_EVIDENCE_PER_LOG = 20;

export function originHash(origin: string): string {
  return toHex(sha256(utf8(origin)));
}

interface StateRow {
  origin: string;
  tree_size: number;
  root_hash: Buffer;
  note: string;
  last_timestamp: number;
}

function toState(row: StateRow | undefined): LogState | undefined {
  if (!row) return undefined;
  return {
    origin: row.origin,
    treeSize: row.tree_size,
    rootHash: new Uint8Array(row.root_hash),
    note: row.note,
    lastTimestamp: row.last_timestamp,
  };
}

export class WitnessStore {
  readonly db: Db;
  readonly #stmt;

  constructor(db: Db) {
    this.db = db;
    this.#stmt = {
      meta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      keysFor: db.prepare('SELECT vkey FROM log_keys WHERE origin = ? ORDER BY vkey').pluck(),
      addKey: db.prepare('INSERT INTO log_keys (origin, vkey, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      removeKeys: db.prepare('DELETE FROM log_keys WHERE origin = ?'),
      allKeys: db.prepare('SELECT origin, vkey FROM log_keys ORDER BY origin, vkey'),
      countLogs: db.prepare('SELECT count(DISTINCT origin) FROM log_keys').pluck(),
      state: db.prepare('SELECT origin, tree_size, root_hash, note, last_timestamp FROM checkpoints WHERE origin = ?'),
      noteByHash: db.prepare('SELECT note FROM checkpoints WHERE origin_hash = ?').pluck(),
      insertFirst: db.prepare(
        'INSERT INTO checkpoints (origin, origin_hash, tree_size, root_hash, note, last_timestamp) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (origin) DO NOTHING',
      ),
      update: db.prepare(
        'UPDATE checkpoints SET tree_size = ?, root_hash = ?, note = ?, last_timestamp = ? WHERE origin = ? AND tree_size = ? AND last_timestamp <= ?',
      ),
      addEvidence: db.prepare(
        `INSERT INTO evidence (origin, origin_hash, digest, document, observed_at, proven)
         SELECT @origin, @hash, @digest, @document, @observedAt, @proven
         WHERE (SELECT count(*) FROM evidence WHERE origin_hash = @hash AND proven = @proven) < @cap
         ON CONFLICT (digest) DO NOTHING`,
      ),
      evidenceAll: db.prepare('SELECT id, origin, document, proven FROM evidence ORDER BY id'),
      evidenceFor: db.prepare('SELECT id, origin, document, proven FROM evidence WHERE origin_hash = ? ORDER BY id'),
      evidenceCounts: db.prepare('SELECT proven, count(*) AS n FROM evidence GROUP BY proven'),
      knownHash: db
        .prepare(
          'SELECT 1 FROM checkpoints WHERE origin_hash = ? UNION ALL SELECT 1 FROM evidence WHERE origin_hash = ? LIMIT 1',
        )
        .pluck(),
      origins: db.prepare('SELECT DISTINCT origin FROM log_keys').pluck(),
      cosignatureTimes: db.prepare(
        'SELECT origin, last_timestamp AS lastTimestamp FROM checkpoints WHERE origin IN (SELECT origin FROM log_keys) ORDER BY origin',
      ),
      newestTimestamp: db.prepare('SELECT max(last_timestamp) FROM checkpoints').pluck(),
      ping: db.prepare('SELECT 1').pluck(),
    };
  }

  static open(path: string): WitnessStore {
    const db = openDatabase(path);
    upgradeSchema(db);
    checkSchema(db, path);
    return new WitnessStore(db);
  }

  meta(key: string): string | undefined {
    return this.#stmt.meta.get(key) as string | undefined;
  }

  logKeys(origin: string): string[] {
    return this.#stmt.keysFor.all(origin) as string[];
  }

  addLogKey(origin: string, vkey: string, now: number): boolean {
    return this.#stmt.addKey.run(origin, vkey, now).changes === 1;
  }

  removeLog(origin: string): number {
    return this.#stmt.removeKeys.run(origin).changes;
  }

  logCount(): number {
    return this.#stmt.countLogs.get() as number;
  }

  listLogs(): LogSummary[] {
    const byOrigin = new Map<string, string[]>();
    for (const row of this.#stmt.allKeys.all() as Array<{ origin: string; vkey: string }>) {
      const list = byOrigin.get(row.origin) ?? [];
      list.push(row.vkey);
      byOrigin.set(row.origin, list);
    }
    return [...byOrigin].map(([origin, vkeys]) => {
      const state = this.state(origin);
      return {
        origin,
        originHash: originHash(origin),
        vkeys,
        treeSize: state?.treeSize,
        lastTimestamp: state?.lastTimestamp,
      };
    });
  }

  state(origin: string): LogState | undefined {
    return toState(this.#stmt.state.get(origin) as StateRow | undefined);
  }

  /** The latest cosigned checkpoint for the log whose origin hashes to `hash`. */
  cosignedNote(hash: string): string | undefined {
    return this.#stmt.noteByHash.get(hash) as string | undefined;
  }

  /**
   * Advances a log from `expectedSize` (the size the caller's decision read; undefined = no row,
   * never cosigned) to the new head. True only if exactly one row changed, i.e. nobody moved the
   * log in between: the size must still be the checked size (a size has one root, so that pins
   * the whole decision), and no cosignature newer than `timestamp` may have been issued since
   * (that keeps timestamps monotonic per log even across processes).
   */
  compareAndSwap(
    expectedSize: number | undefined,
    next: { origin: string; treeSize: number; rootHash: Uint8Array; note: string; timestamp: number },
  ): boolean {
    if (expectedSize === undefined) {
      return (
        this.#stmt.insertFirst.run(
          next.origin,
          originHash(next.origin),
          next.treeSize,
          next.rootHash,
          next.note,
          next.timestamp,
        ).changes === 1
      );
    }
    return (
      this.#stmt.update.run(
        next.treeSize,
        next.rootHash,
        next.note,
        next.timestamp,
        next.origin,
        expectedSize,
        next.timestamp,
      ).changes === 1
    );
  }

  /**
   * Stores one evidence document unless it is a repeat (same digest) or its log already holds the
   * cap of its kind (MAX_PROVEN_EVIDENCE_PER_LOG, MAX_UNPROVEN_EVIDENCE_PER_LOG). True if stored.
   */
  addEvidence(origin: string, digest: string, document: string, observedAt: number, proven: boolean): boolean {
    const cap = proven ? MAX_PROVEN_EVIDENCE_PER_LOG : MAX_UNPROVEN_EVIDENCE_PER_LOG;
    const row = { origin, hash: originHash(origin), digest, document, observedAt, proven: proven ? 1 : 0, cap };
    return this.#stmt.addEvidence.run(row).changes === 1;
  }

  evidence(hash?: string): StoredEvidence[] {
    const rows = (hash === undefined ? this.#stmt.evidenceAll.all() : this.#stmt.evidenceFor.all(hash)) as Array<
      Omit<StoredEvidence, 'proven'> & { proven: number }
    >;
    return rows.map((r) => ({ ...r, proven: r.proven === 1 }));
  }

  /** How many evidence documents the witness holds, proven and unproven (for /health and /metrics). */
  evidenceCounts(): { proven: number; unproven: number } {
    const counts = { proven: 0, unproven: 0 };
    for (const row of this.#stmt.evidenceCounts.all() as Array<{ proven: number; n: number }>) {
      if (row.proven === 1) counts.proven = row.n;
      else counts.unproven = row.n;
    }
    return counts;
  }

  /** Whether `hash` names a log this witness knows anything about (configured, cosigned or evidence). */
  knowsOriginHash(hash: string): boolean {
    if (this.#stmt.knownHash.get(hash, hash) !== undefined) return true;
    return (this.#stmt.origins.all() as string[]).some((o) => originHash(o) === hash);
  }

  /** Per configured log that has a cosigned checkpoint: the newest cosignature timestamp (seconds). */
  cosignatureTimes(): Array<{ origin: string; lastTimestamp: number }> {
    return this.#stmt.cosignatureTimes.all() as Array<{ origin: string; lastTimestamp: number }>;
  }

  /** The newest timestamp on any cosignature issued, for any log (seconds); undefined if none. */
  newestCosignatureTime(): number | undefined {
    return (this.#stmt.newestTimestamp.get() as number | null) ?? undefined;
  }

  healthy(): boolean {
    return this.#stmt.ping.get() === 1;
  }

  close(): void {
    this.db.close();
  }
}
