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
 */
import { FleetlogError } from '../core/errors.ts';
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

interface StateRow {
  origin: string;
  tree_size: number;
  root_hash: Buffer;
  note: string;
  last_timestamp: number;
}

export class PgWitnessStore {
  readonly pool: PgPool;
  #logCount = 0;
  #cosignatureTimes: Array<{ origin: string; lastTimestamp: number }> = [];
  #evidenceCounts = { proven: 0, unproven: 0 };
  /** Whether the last probe (every ten seconds, and each /health) reached the database. */
  #reachable = true;
  readonly #timer: ReturnType<typeof setInterval>;

  private constructor(pool: PgPool) {
    this.pool = pool;
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
    const pool = await openPool(url, { max: 8, applicationName: 'fleetlog witness' });
    try {
      await migrate(pool, WITNESS_COMPONENT, WITNESS_MIGRATIONS);
      const vkey = await pool.query("SELECT value FROM witness_meta WHERE key = 'vkey'");
      if (!vkey.rowCount)
        throw new FleetlogError('io', 'the database holds no witness; run fleetlog witness init --database first');
    } catch (e) {
      await pool.end();
      throw e;
    }
    const store = new PgWitnessStore(pool);
    await store.#refreshGauges();
    return store;
  }

  async meta(key: string): Promise<string | undefined> {
    const r = await this.pool.query<{ value: string }>('SELECT value FROM witness_meta WHERE key = $1', [key]);
    return r.rows[0]?.value;
  }

  async logKeys(origin: string): Promise<string[]> {
    const r = await this.pool.query<{ vkey: string }>(
      'SELECT vkey FROM witness_log_keys WHERE origin = $1 ORDER BY vkey',
      [origin],
    );
    return r.rows.map((row) => row.vkey);
  }

  async addLogKey(origin: string, vkey: string, now: number): Promise<boolean> {
    const r = await this.pool.query(
      'INSERT INTO witness_log_keys (origin, vkey, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [origin, vkey, now],
    );
    void this.#refreshLogCount();
    return r.rowCount === 1;
  }

  async removeLog(origin: string): Promise<number> {
    const r = await this.pool.query('DELETE FROM witness_log_keys WHERE origin = $1', [origin]);
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

  async evidenceCounts(): Promise<{ proven: number; unproven: number }> {
    const r = await this.pool.query<{ proven: boolean; n: number }>(
      'SELECT proven, count(*)::bigint AS n FROM witness_evidence GROUP BY proven',
    );
    const counts = { proven: 0, unproven: 0 };
    for (const row of r.rows) counts[row.proven ? 'proven' : 'unproven'] = row.n;
    this.#evidenceCounts = counts;
    return counts;
  }

  async #refreshGauges(): Promise<void> {
    await this.#refreshLogCount();
    try {
      const times = await this.pool.query<{ origin: string; last_timestamp: number }>(
        'SELECT origin, last_timestamp FROM witness_checkpoints WHERE origin IN (SELECT origin FROM witness_log_keys) ORDER BY origin',
      );
      this.#cosignatureTimes = times.rows.map((r) => ({ origin: r.origin, lastTimestamp: r.last_timestamp }));
      await this.evidenceCounts();
    } catch {
      // /health reports an unreachable database; the gauges keep their last values.
    }
  }

  async #refreshLogCount(): Promise<void> {
    try {
      const r = await this.pool.query<{ n: number }>(
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
    const keys = await this.pool.query<{ origin: string; vkey: string }>(
      'SELECT origin, vkey FROM witness_log_keys ORDER BY origin, vkey',
    );
    const byOrigin = new Map<string, string[]>();
    for (const row of keys.rows) byOrigin.set(row.origin, [...(byOrigin.get(row.origin) ?? []), row.vkey]);
    const out: LogSummary[] = [];
    for (const [origin, vkeys] of byOrigin) {
      const state = await this.state(origin);
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

  async state(origin: string): Promise<LogState | undefined> {
    const r = await this.pool.query<StateRow>(
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
    const r = await this.pool.query<{ note: string }>('SELECT note FROM witness_checkpoints WHERE origin_hash = $1', [
      hash,
    ]);
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
        return await inTransaction(this.pool, async (c) => {
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
        ? await this.pool.query<StoredEvidence>('SELECT id, origin, document, proven FROM witness_evidence ORDER BY id')
        : await this.pool.query<StoredEvidence>(
            'SELECT id, origin, document, proven FROM witness_evidence WHERE origin_hash = $1 ORDER BY id',
            [hash],
          );
    return r.rows;
  }

  async knowsOriginHash(hash: string): Promise<boolean> {
    const r = await this.pool.query(
      'SELECT 1 FROM witness_checkpoints WHERE origin_hash = $1 UNION ALL SELECT 1 FROM witness_evidence WHERE origin_hash = $1 LIMIT 1',
      [hash],
    );
    if (r.rowCount) return true;
    const origins = await this.pool.query<{ origin: string }>('SELECT DISTINCT origin FROM witness_log_keys');
    return origins.rows.some((row) => originHash(row.origin) === hash);
  }

  async newestCosignatureTime(): Promise<number | undefined> {
    const r = await this.pool.query<{ t: number | null }>('SELECT max(last_timestamp) AS t FROM witness_checkpoints');
    return r.rows[0]?.t ?? undefined;
  }

  async healthy(): Promise<boolean> {
    try {
      const r = await this.pool.query<{ one: number }>('SELECT 1 AS one');
      this.#reachable = r.rows[0]?.one === 1;
    } catch (e) {
      this.#reachable = false;
      throw e;
    }
    return this.#reachable;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.pool.end();
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
