/**
 * The witness's state on PostgreSQL, for several `witness serve` processes that share one key and
 * one database and must behave as one witness.
 *
 * The compare-and-swap is the same statement as on SQLite (`UPDATE … WHERE origin = $ AND
 * tree_size = $expected AND last_timestamp <= $new`, or an insert that does nothing if a row
 * exists). Under PostgreSQL's READ COMMITTED, a second swap of the same row waits for the first
 * transaction and then re-checks its WHERE clause against the committed row, so of two racing
 * swaps from one size exactly one changes a row, in one process or across processes, and a
 * smaller tree can never replace a larger one.
 *
 * Group commit as on SQLite: a batch of writes is one transaction (commitBatch). Jobs run in
 * order per log; across logs they are ordered by origin so two processes never lock two rows in
 * opposite orders; a transaction PostgreSQL still aborts (deadlock, serialization) is retried whole.
 *
 * Three connection pools, so that what anyone can ask cannot starve the commits (as the log does,
 * log-server/storage/pg-storage.ts):
 *   reads   the HTTP reads and /health (max 8; at most 64 callers wait for a connection, the rest
 *           are refused at once with 503 "the witness is busy", service/capped-pool.ts);
 *   checks  the two reads that judge an add-checkpoint request (its log's keys and state), which
 *           anyone can trigger with a parsable body before any signature is verified (max 3,
 *           capped the same way);
 *   writer  the group commits (compare-and-swap, evidence), the gauges' refresh and the
 *           operator's add-log / remove-log (max 2; only the writer's single chain of batches
 *           and one refresh at a time use it, so it never queues behind a flood).
 * Every statement is bounded by the sessions' statement_timeout (service/postgres.ts).
 */
import { FleetlogError } from '../core/errors.ts';
import { cappedPool, isBusyRefusal, poolStatus, type CappedPool, type PoolStatus } from '../service/capped-pool.ts';
import { inTransaction, migrate, openPool, sqlState, type PgClient, type PgPool } from '../service/postgres.ts';
import type { WriteJob, WriteResult } from './commit-batch.ts';
import { WITNESS_COMPONENT, WITNESS_MIGRATIONS } from './pg-schema.ts';
import {
  MAX_PROVEN_EVIDENCE_PER_LOG,
  MAX_UNPROVEN_EVIDENCE_PER_LOG,
  originHash,
  type LogState,
  type LogSummary,
  type StoredEvidence,
} from './store.ts';

const RETRIED = new Set(['40P01', '40001']); // deadlock detected, serialization failure
const LOG_COUNT_REFRESH_MS = 10_000;
/** What a read or check beyond its pool's capped queue is told (503). */
export const WITNESS_BUSY = 'the witness is busy; retry shortly';

interface StateRow {
  origin: string;
  tree_size: number;
  root_hash: Buffer;
  note: string;
  last_timestamp: number;
}

/** The witness's pools on one database: see the top of this file. */
export interface WitnessPools {
  readonly reads: CappedPool;
  readonly checks: CappedPool;
  readonly writer: PgPool;
}

export class PgWitnessStore {
  readonly pools: WitnessPools;
  #refreshing = false;
  #logCount = 0;
  #cosignatureTimes: Array<{ origin: string; lastTimestamp: number }> = [];
  #evidenceCounts = { proven: 0, unproven: 0 };
  /** Whether the last probe (every ten seconds, and each /health) reached the database. */
  #reachable = true;
  readonly #timer: ReturnType<typeof setInterval>;

  private constructor(pools: WitnessPools) {
    this.pools = pools;
    // /metrics reads its gauges synchronously: keep recent figures at hand.
    this.#timer = setInterval(() => void this.#refreshGauges(), LOG_COUNT_REFRESH_MS);
    this.#timer.unref();
  }

  /** Creates the schema if missing and records this witness's name and key; refuses another witness's database. */
  static async create(url: string, meta: { name: string; vkey: string }): Promise<void> {
    const pool = await openPool(url, { max: 1 });
    try {
      await migrate(pool, WITNESS_COMPONENT, WITNESS_MIGRATIONS);
      await inTransaction(pool, async (c) => {
        const existing = await c.query("SELECT value FROM witness_meta WHERE key = 'vkey' FOR UPDATE");
        if (existing.rowCount)
          throw new FleetlogError(
            'io',
            `the database already holds the witness ${existing.rows[0].value}; refusing to overwrite it`,
          );
        await c.query("INSERT INTO witness_meta (key, value) VALUES ('name', $1), ('vkey', $2)", [
          meta.name,
          meta.vkey,
        ]);
      });
    } finally {
      await pool.end();
    }
  }

  /** Opens a witness database, migrating its schema to this version first. */
  static async open(url: string): Promise<PgWitnessStore> {
    const applicationName = 'fleetlog witness';
    const writer = await openPool(url, { max: 2, applicationName });
    const opened: PgPool[] = [writer];
    try {
      await migrate(writer, WITNESS_COMPONENT, WITNESS_MIGRATIONS);
      const vkey = await writer.query("SELECT value FROM witness_meta WHERE key = 'vkey'");
      if (!vkey.rowCount)
        throw new FleetlogError('io', 'the database holds no witness; run fleetlog witness init --database first');
      opened.push(await openPool(url, { max: 8, applicationName }));
      opened.push(await openPool(url, { max: 3, applicationName }));
    } catch (e) {
      for (const p of opened) await p.end().catch(() => {});
      throw e;
    }
    const [, reads, checks] = opened as [PgPool, PgPool, PgPool];
    const store = new PgWitnessStore({
      reads: cappedPool(reads, WITNESS_BUSY),
      checks: cappedPool(checks, WITNESS_BUSY),
      writer,
    });
    await store.#refreshGauges();
    return store;
  }

  async meta(key: string): Promise<string | undefined> {
    const r = await this.pools.writer.query<{ value: string }>('SELECT value FROM witness_meta WHERE key = $1', [key]);
    return r.rows[0]?.value;
  }

  /** A log's trusted keys: read when judging add-checkpoint (the capped `checks` pool). */
  async logKeys(origin: string): Promise<string[]> {
    const r = await this.pools.checks.query<{ vkey: string }>(
      'SELECT vkey FROM witness_log_keys WHERE origin = $1 ORDER BY vkey',
      [origin],
    );
    return r.rows.map((row) => row.vkey);
  }

  async addLogKey(origin: string, vkey: string, now: number): Promise<boolean> {
    const r = await this.pools.writer.query(
      'INSERT INTO witness_log_keys (origin, vkey, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [origin, vkey, now],
    );
    void this.#refreshLogCount();
    return r.rowCount === 1;
  }

  async removeLog(origin: string): Promise<number> {
    const r = await this.pools.writer.query('DELETE FROM witness_log_keys WHERE origin = $1', [origin]);
    void this.#refreshLogCount();
    return r.rowCount ?? 0;
  }

  /** The number of logs, as of at most ten seconds ago. */
  logCount(): number {
    return this.#logCount;
  }

  /** Per configured log with a cosigned checkpoint: its newest cosignature time, as of at most ten seconds ago. */
  recentCosignatureTimes(): Array<{ origin: string; lastTimestamp: number }> {
    return this.#cosignatureTimes;
  }

  /** Stored evidence documents, as of at most ten seconds ago (or the last write of one). */
  recentEvidenceCounts(): { proven: number; unproven: number } {
    return this.#evidenceCounts;
  }

  /** The pools' connections, waiting and refused callers (/health, /metrics). */
  poolStatus(): Record<keyof WitnessPools, PoolStatus> {
    return {
      reads: this.pools.reads.status(),
      checks: this.pools.checks.status(),
      writer: poolStatus(this.pools.writer),
    };
  }

  async evidenceCounts(): Promise<{ proven: number; unproven: number }> {
    return this.#evidenceCountsOn((sql) => this.pools.reads.query(sql));
  }

  async #evidenceCountsOn(
    query: (sql: string) => Promise<{ rows: Array<{ proven: boolean; n: number }> }>,
  ): Promise<{ proven: number; unproven: number }> {
    const r = await query('SELECT proven, count(*)::bigint AS n FROM witness_evidence GROUP BY proven');
    const counts = { proven: 0, unproven: 0 };
    for (const row of r.rows) counts[row.proven ? 'proven' : 'unproven'] = row.n;
    this.#evidenceCounts = counts;
    return counts;
  }

  /** On the writer's pool, one refresh at a time: a flood of reads cannot make the gauges stale or "unreachable". */
  async #refreshGauges(): Promise<void> {
    if (this.#refreshing) return;
    this.#refreshing = true;
    try {
      await this.#refreshGaugesNow();
    } finally {
      this.#refreshing = false;
    }
  }

  async #refreshGaugesNow(): Promise<void> {
    await this.#refreshLogCount();
    try {
      const times = await this.pools.writer.query<{ origin: string; last_timestamp: number }>(
        'SELECT origin, last_timestamp FROM witness_checkpoints WHERE origin IN (SELECT origin FROM witness_log_keys) ORDER BY origin',
      );
      this.#cosignatureTimes = times.rows.map((r) => ({ origin: r.origin, lastTimestamp: r.last_timestamp }));
      await this.#evidenceCountsOn((sql) => this.pools.writer.query(sql));
    } catch {
      // /health reports an unreachable database; the gauges keep their last values.
    }
  }

  async #refreshLogCount(): Promise<void> {
    try {
      const r = await this.pools.writer.query<{ n: number }>(
        'SELECT count(DISTINCT origin)::bigint AS n FROM witness_log_keys',
      );
      this.#logCount = r.rows[0]?.n ?? 0;
      this.#reachable = true;
    } catch {
      // /health and fleetlog_witness_database_up report it; the gauge keeps its last value.
      this.#reachable = false;
    }
  }

  reachable(): boolean {
    return this.#reachable;
  }

  async listLogs(): Promise<LogSummary[]> {
    const keys = await this.pools.reads.query<{ origin: string; vkey: string }>(
      'SELECT origin, vkey FROM witness_log_keys ORDER BY origin, vkey',
    );
    const byOrigin = new Map<string, string[]>();
    for (const row of keys.rows) byOrigin.set(row.origin, [...(byOrigin.get(row.origin) ?? []), row.vkey]);
    const out: LogSummary[] = [];
    for (const [origin, vkeys] of byOrigin) {
      const state = await this.#stateOn(this.pools.reads, origin);
      out.push({
        origin,
        originHash: originHash(origin),
        vkeys,
        treeSize: state?.treeSize,
        lastTimestamp: state?.lastTimestamp,
      });
    }
    return out;
  }

  /** A log's cosigned state: read when judging add-checkpoint (the capped `checks` pool). */
  async state(origin: string): Promise<LogState | undefined> {
    return this.#stateOn(this.pools.checks, origin);
  }

  async #stateOn(pool: CappedPool, origin: string): Promise<LogState | undefined> {
    const r = await pool.query<StateRow>(
      'SELECT origin, tree_size, root_hash, note, last_timestamp FROM witness_checkpoints WHERE origin = $1',
      [origin],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    return {
      origin: row.origin,
      treeSize: row.tree_size,
      rootHash: new Uint8Array(row.root_hash),
      note: row.note,
      lastTimestamp: row.last_timestamp,
    };
  }

  async cosignedNote(hash: string): Promise<string | undefined> {
    const r = await this.pools.reads.query<{ note: string }>(
      'SELECT note FROM witness_checkpoints WHERE origin_hash = $1',
      [hash],
    );
    return r.rows[0]?.note;
  }

  /** See WitnessStore.compareAndSwap: true only if exactly one row changed. One job, its own transaction. */
  async compareAndSwap(expectedSize: number | undefined, next: CasNext): Promise<boolean> {
    const [result] = await this.commitBatch([{ kind: 'cas', expectedSize, next }]);
    if (!result?.ok) throw new FleetlogError('internal', `compare-and-swap failed: ${result?.error}`);
    return result.changed;
  }

  /**
   * Commits `jobs` in one transaction and returns each one's result, in the order given. Throws if
   * the transaction as a whole failed: then nothing was written.
   */
  async commitBatch(jobs: readonly WriteJob[]): Promise<WriteResult[]> {
    const order = jobs.map((job, i) => ({ job, i }));
    order.sort((a, b) => sortKey(a.job).localeCompare(sortKey(b.job)) || a.i - b.i);
    for (let attempt = 0; ; attempt++) {
      try {
        return await inTransaction(this.pools.writer, async (c) => {
          const results: WriteResult[] = new Array(jobs.length);
          for (const { job, i } of order) results[i] = { ok: true, changed: await apply(c, job) };
          return results;
        });
      } catch (e) {
        const state = sqlState(e);
        if (state && RETRIED.has(state) && attempt < 4) continue;
        throw e;
      }
    }
  }

  async evidence(hash?: string): Promise<StoredEvidence[]> {
    const r =
      hash === undefined
        ? await this.pools.reads.query<StoredEvidence>(
            'SELECT id, origin, document, proven FROM witness_evidence ORDER BY id',
          )
        : await this.pools.reads.query<StoredEvidence>(
            'SELECT id, origin, document, proven FROM witness_evidence WHERE origin_hash = $1 ORDER BY id',
            [hash],
          );
    return r.rows;
  }

  async knowsOriginHash(hash: string): Promise<boolean> {
    const r = await this.pools.reads.query(
      'SELECT 1 FROM witness_checkpoints WHERE origin_hash = $1 UNION ALL SELECT 1 FROM witness_evidence WHERE origin_hash = $1 LIMIT 1',
      [hash],
    );
    if (r.rowCount) return true;
    const origins = await this.pools.reads.query<{ origin: string }>('SELECT DISTINCT origin FROM witness_log_keys');
    return origins.rows.some((row) => originHash(row.origin) === hash);
  }

  async newestCosignatureTime(): Promise<number | undefined> {
    const r = await this.pools.reads.query<{ t: number | null }>(
      'SELECT max(last_timestamp) AS t FROM witness_checkpoints',
    );
    return r.rows[0]?.t ?? undefined;
  }

  async healthy(): Promise<boolean> {
    try {
      const r = await this.pools.reads.query<{ one: number }>('SELECT 1 AS one');
      this.#reachable = r.rows[0]?.one === 1;
    } catch (e) {
      // Refused because the read queue is full: the database itself may be fine.
      if (!isBusyRefusal(e, WITNESS_BUSY)) this.#reachable = false;
      throw e;
    }
    return this.#reachable;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all([this.pools.reads.pool.end(), this.pools.checks.pool.end(), this.pools.writer.end()]);
  }
}

type CasNext = Extract<WriteJob, { kind: 'cas' }>['next'];

function sortKey(job: WriteJob): string {
  return job.kind === 'cas' ? `0${job.next.origin}` : `1${job.record.origin}`;
}

async function apply(c: PgClient, job: WriteJob): Promise<boolean> {
  if (job.kind === 'evidence') {
    const r = job.record;
    const hash = originHash(r.origin);
    // Kept below the cap of its kind, repeats once (store.ts). Evidence writes are serialised per
    // log across processes, so the caps hold exactly.
    await c.query("SELECT pg_advisory_xact_lock(hashtext('fleetlog witness evidence ' || $1))", [hash]);
    const added = await c.query(
      `INSERT INTO witness_evidence (origin, origin_hash, digest, document, observed_at, proven)
       SELECT $1, $2, $3, $4, $5, $6
       WHERE (SELECT count(*) FROM witness_evidence WHERE origin_hash = $2 AND proven = $6) < $7
       ON CONFLICT (digest) DO NOTHING`,
      [
        r.origin,
        hash,
        r.digest,
        r.document,
        r.observedAt,
        r.proven,
        r.proven ? MAX_PROVEN_EVIDENCE_PER_LOG : MAX_UNPROVEN_EVIDENCE_PER_LOG,
      ],
    );
    return added.rowCount === 1;
  }
  const { expectedSize, next } = job;
  if (expectedSize === undefined) {
    const r = await c.query(
      `INSERT INTO witness_checkpoints (origin, origin_hash, tree_size, root_hash, note, last_timestamp)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (origin) DO NOTHING`,
      [next.origin, originHash(next.origin), next.treeSize, next.rootHash, next.note, next.timestamp],
    );
    return r.rowCount === 1;
  }
  const r = await c.query(
    `UPDATE witness_checkpoints SET tree_size = $1, root_hash = $2, note = $3, last_timestamp = $4
     WHERE origin = $5 AND tree_size = $6 AND last_timestamp <= $4`,
    [next.treeSize, next.rootHash, next.note, next.timestamp, next.origin, expectedSize],
  );
  return r.rowCount === 1;
}
