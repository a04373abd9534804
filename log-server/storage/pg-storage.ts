/**
 * LogStorage on PostgreSQL (node-postgres). Reads run on a connection pool, concurrently, and
 * see only committed rows. Writes of the sequencer (batches, published size, witness state) are
 * fenced: each runs in a transaction that first checks, under a share lock on the lease row, that
 * this process still holds the leader lease with the fencing token it was given (`setFence`). A
 * process that lost the lease, e.g. after a pause, therefore cannot store anything, and a new
 * leader cannot take the lease while a fenced transaction of the old one is still open (the row
 * lock; a stopped process loses its session after `idle_in_transaction_session_timeout`).
 *
 * Batches commit strictly in call order (one chain of transactions). Each checks inside its
 * transaction that it extends the newest stored checkpoint, so a batch built on a failed one, or
 * on a tree another leader has since grown, is refused and stores nothing.
 *
 * Three connection pools, so that what anyone can ask cannot starve what keeps the log running:
 *   reads   the HTTP routes (max 8; at most 64 callers wait for a connection, the rest get a 503 at
 *           once, and none waits more than 5 s: service/capped-pool.ts, shared with the witness);
 *   writer  the leader's sequencer, witnessing and proofs for its answers (`writerView()`, max 3);
 *   lease   the leader lease and the followers' poll (`leasePool`, max 2).
 * Each statement is bounded by the sessions' statement_timeout (service/postgres.ts).
 */
import type { QueryResult, QueryResultRow } from 'pg';
import { toHex } from '../../core/bytes.ts';
import { FleetlogError } from '../../core/errors.ts';
import { cappedPool, type CappedPool } from '../../service/capped-pool.ts';
import { DATABASE_UNAVAILABLE } from '../../service/database-errors.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import type { NodeId } from '../../core/merkle/subtree.ts';
import { TILE_HEIGHT, TILE_WIDTH } from '../../core/merkle/tiles.ts';
import {
  inTransaction,
  migrate,
  openPool,
  sqlState,
  UNIQUE_VIOLATION,
  type PgClient,
  type PgPool,
  type PoolOptions,
} from '../../service/postgres.ts';
import { gzipBundle } from './bundle-gzip.ts';
import { LOG_COMPONENT, LOG_MIGRATIONS } from './pg-schema.ts';
import { ENTRY_KIND, KIND_NAMES, tileRowId } from './schema.ts';
import type {
  CosignatureRecord,
  FleetHistory,
  IntegratedBatch,
  KeysetRecord,
  LeafRecord,
  LogHead,
  LogStorage,
  StoredCheckpoint,
  TokenRecord,
  WitnessStateRecord,
} from './storage.ts';

const HASH_BYTES = 32;

/** What a read beyond the capped queue is told. */
const LOG_BUSY = 'the log is busy; retry shortly';
/** How old the in-memory set of active tokens may be. */
const TOKEN_REFRESH_MS = 1000;

/** What every view of one log database shares: the pools, the fence and the chain of writes. */
interface Shared {
  readonly reads: PgPool;
  /** `reads` with its waiting callers capped (service/capped-pool.ts): what the HTTP routes use. */
  readonly cappedReads: CappedPool;
  readonly writer: PgPool;
  readonly lease: PgPool;
  /** The fencing token of the lease this process holds; undefined = not the leader. */
  fence: number | undefined;
  /** The chain of fenced write transactions: each starts after the previous one settled. */
  writes: Promise<unknown>;
  /** Active tokens (hex hash -> name) as last read; undefined if that read failed. */
  tokens: Map<string, string> | undefined;
  tokensReadAt: number;
  tokensLoading: Promise<void> | undefined;
}

const NOTHING_SHARED_YET = {
  fence: undefined,
  writes: Promise.resolve(),
  tokens: undefined,
  tokensReadAt: 0,
  tokensLoading: undefined,
};

export class PgLogStorage implements LogStorage {
  /** The pool this view reads with: `reads`, or `writer` for the writer's view. */
  readonly pool: PgPool;
  readonly #shared: Shared;
  readonly #isWriterView: boolean;

  private constructor(shared: Shared, writerView = false) {
    this.#shared = shared;
    this.#isWriterView = writerView;
    this.pool = writerView ? shared.writer : shared.reads;
  }

  /** The pool of the leader lease and the followers' poll (log-server/cluster/lease.ts). */
  get leasePool(): PgPool {
    return this.#shared.lease;
  }

  /**
   * The same storage, reading through the writer's pool: what the sequencer, witnessing and the
   * proofs in add-entry answers use, so a flood of reads cannot starve them. Closing it is a no-op.
   */
  writerView(): PgLogStorage {
    return new PgLogStorage(this.#shared, true);
  }

  /** A read of the HTTP routes: refused at once while too many are already waiting for a connection. */
  #read<R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    return this.#isWriterView ? this.pool.query<R>(sql, params) : this.#shared.cappedReads.query<R>(sql, params);
  }

  /** Creates the schema (if missing) and a new log in it; refuses a database that holds a log. */
  static async create(
    url: string,
    init: { origin: string; vkey: string; checkpoint: StoredCheckpoint },
  ): Promise<PgLogStorage> {
    const pool = await openPool(url, { max: 2 });
    try {
      await migrate(pool, LOG_COMPONENT, LOG_MIGRATIONS);
      await inTransaction(pool, async (c) => {
        const existing = await c.query("SELECT value FROM log_meta WHERE key = 'origin' FOR UPDATE");
        if (existing.rowCount)
          throw new FleetlogError(
            'io',
            `the database already holds the log ${existing.rows[0].value}; refusing to overwrite it`,
          );
        await c.query(
          "INSERT INTO log_meta (key, value) VALUES ('origin', $1), ('vkey', $2), ('published_size', '0')",
          [init.origin, init.vkey],
        );
        const cp = init.checkpoint;
        await c.query('INSERT INTO log_checkpoints (size, root, note, signed_at_ms) VALUES ($1, $2, $3, $4)', [
          cp.size,
          cp.rootHash,
          cp.note,
          cp.signedAtMs,
        ]);
      });
    } catch (e) {
      await pool.end();
      throw e;
    }
    return new PgLogStorage({
      reads: pool,
      cappedReads: cappedPool(pool, LOG_BUSY),
      writer: pool,
      lease: pool,
      ...NOTHING_SHARED_YET,
    });
  }

  /** Opens the log in this database, migrating its schema to this version first. */
  static async open(url: string, options: PoolOptions = {}): Promise<PgLogStorage> {
    const pool = await openPool(url, { ...options, max: options.max ?? 8 });
    const pools: PgPool[] = [pool];
    try {
      await migrate(pool, LOG_COMPONENT, LOG_MIGRATIONS);
      const origin = await pool.query("SELECT value FROM log_meta WHERE key = 'origin'");
      if (!origin.rowCount) throw new FleetlogError('io', 'the database holds no log (run fleetlog log init first)');
      pools.push(await openPool(url, { ...options, max: 3 }));
      pools.push(await openPool(url, { ...options, max: 2 }));
    } catch (e) {
      for (const p of pools) await p.end().catch(() => {});
      throw e;
    }
    const [reads, writer, lease] = pools as [PgPool, PgPool, PgPool];
    return new PgLogStorage({ reads, cappedReads: cappedPool(reads, LOG_BUSY), writer, lease, ...NOTHING_SHARED_YET });
  }

  /**
   * Sets the fencing token every later write must carry (the lease, log-server/cluster/lease.ts,
   * calls this when it is won), or clears it when the lease is lost.
   */
  setFence(token: number | undefined): void {
    this.#shared.fence = token;
  }

  async head(): Promise<LogHead> {
    // One statement, so one snapshot: the checkpoint and the entry count come from the same commit.
    const r = await this.#read<CheckpointRow & { meta: Record<string, string>; n: number }>(
      `SELECT c.size, c.root, c.note, c.signed_at_ms,
         (SELECT json_object_agg(key, value) FROM log_meta) AS meta,
         (SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries)::bigint AS n
       FROM log_checkpoints c ORDER BY c.size DESC LIMIT 1`,
    );
    const row = r.rows[0];
    if (!row) throw new FleetlogError('internal', 'log database holds no checkpoint');
    const need = (key: string): string => {
      const v = row.meta?.[key];
      if (typeof v !== 'string') throw new FleetlogError('internal', `log database has no ${key}`);
      return v;
    };
    return {
      origin: need('origin'),
      vkey: need('vkey'),
      checkpoint: checkpointFromRow(row),
      entryCount: row.n,
      publishedSize: Number(need('published_size')),
    };
  }

  /** The newest checkpoint and the published size: what a follower polls (cluster-node.ts). */
  async tip(): Promise<{ checkpoint: StoredCheckpoint; publishedSize: number }> {
    const r = await this.#read<CheckpointRow & { published: string }>(
      `SELECT size, root, note, signed_at_ms, (SELECT value FROM log_meta WHERE key = 'published_size') AS published
       FROM log_checkpoints ORDER BY size DESC LIMIT 1`,
    );
    const row = r.rows[0];
    if (!row) throw new FleetlogError('internal', 'log database holds no checkpoint');
    return { checkpoint: checkpointFromRow(row), publishedSize: Number(row.published) };
  }

  appendBatch(batch: IntegratedBatch): Promise<void> {
    return this.#fenced((c) => this.#append(c, batch));
  }

  async #append(c: PgClient, batch: IntegratedBatch): Promise<void> {
    const top = await c.query<{ size: number }>('SELECT MAX(size) AS size FROM log_checkpoints');
    const size = top.rows[0]?.size ?? 0;
    const first = batch.entries[0]?.index ?? size;
    if (first !== size || batch.checkpoint.size !== size + batch.entries.length) {
      throw new FleetlogError(
        'internal',
        `batch for indices from ${first} (checkpoint ${batch.checkpoint.size}) does not extend a tree of ${size}`,
      );
    }
    const es = batch.entries;
    if (es.length > 0) {
      await c.query(
        'INSERT INTO log_entries (idx, leaf_hash, data, kind, fleet_id) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::smallint[], $5::text[])',
        [
          es.map((e) => e.index),
          es.map((e) => e.leafHash),
          es.map((e) => e.data),
          es.map((e) => ENTRY_KIND[e.facts.kind]),
          es.map((e) => (e.facts.kind === 'other' ? null : e.facts.fleetId)),
        ],
      );
    }
    // The last entry of a bundle completes it: compress it once, here, in the same transaction.
    for (const e of es) {
      if (e.index % TILE_WIDTH !== TILE_WIDTH - 1) continue;
      const tile = (e.index + 1) / TILE_WIDTH - 1;
      const bundle = await c.query<{ data: Buffer }>(
        'SELECT data FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx',
        [tile * TILE_WIDTH, (tile + 1) * TILE_WIDTH],
      );
      if (bundle.rows.length !== TILE_WIDTH)
        throw new FleetlogError('internal', `entry bundle ${tile} completed with ${bundle.rows.length} entries`);
      const gzip = await gzipBundle(bundle.rows.map((r) => r.data));
      await c.query('INSERT INTO log_bundle_gzip (tile, data) VALUES ($1, $2)', [tile, gzip]);
    }
    const keysets = es.flatMap((e) => (e.facts.kind === 'keyset' ? [{ index: e.index, f: e.facts }] : []));
    if (keysets.length > 0) {
      await c.query(
        'INSERT INTO log_keysets (idx, fleet_id, version, evidence_idx, not_before, not_after) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])',
        [
          keysets.map((k) => k.index),
          keysets.map((k) => k.f.fleetId),
          keysets.map((k) => k.f.version),
          keysets.map((k) => k.f.evidenceIndex),
          keysets.map((k) => k.f.notBefore),
          keysets.map((k) => k.f.notAfter),
        ],
      );
    }
    const ns = batch.nodes;
    if (ns.length > 0) {
      await c.query(
        'INSERT INTO log_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])',
        [ns.map((n) => n.level), ns.map((n) => n.index), ns.map((n) => n.hash)],
      );
    }
    // The last hash of a tile at a tile level completes that tile: store it whole, as SQLite does.
    for (const n of ns) {
      if (n.level % TILE_HEIGHT !== 0 || n.index % TILE_WIDTH !== TILE_WIDTH - 1) continue;
      const tileLevel = n.level / TILE_HEIGHT;
      const tileIndex = (n.index + 1) / TILE_WIDTH - 1;
      const made = await c.query<{ len: number }>(
        `INSERT INTO log_tiles (id, data)
         SELECT $1, string_agg(hash, ''::bytea ORDER BY idx) FROM log_nodes WHERE level = $2 AND idx >= $3 AND idx < $4
         RETURNING length(data) AS len`,
        [tileRowId(tileLevel, tileIndex), n.level, tileIndex * TILE_WIDTH, (tileIndex + 1) * TILE_WIDTH],
      );
      if (made.rows[0]?.len !== TILE_WIDTH * HASH_BYTES)
        throw new FleetlogError('internal', `tile ${tileLevel}/${tileIndex} completed with a wrong number of hashes`);
    }
    const cp = batch.checkpoint;
    await c.query('INSERT INTO log_checkpoints (size, root, note, signed_at_ms) VALUES ($1, $2, $3, $4)', [
      cp.size,
      cp.rootHash,
      cp.note,
      cp.signedAtMs,
    ]);
  }

  /** Runs a write after every earlier one, in one transaction that first checks the fence. */
  #fenced<T>(body: (c: PgClient) => Promise<T>): Promise<T> {
    const shared = this.#shared;
    const fence = shared.fence;
    const run = shared.writes.then(() => {
      if (fence === undefined)
        throw new FleetlogError('unavailable', 'this process does not hold the leader lease; nothing was stored');
      return inTransaction(shared.writer, async (c) => {
        const held = await c.query(
          'SELECT 1 FROM log_lease WHERE id = 1 AND token = $1 AND expires_at > clock_timestamp() FOR SHARE',
          [fence],
        );
        if (!held.rowCount)
          throw new FleetlogError(
            'unavailable',
            `the leader lease (fencing token ${fence}) is lost or expired; nothing was stored`,
          );
        return body(c);
      });
    });
    shared.writes = run.catch(() => {});
    return run;
  }

  async findLeaves(hashes: readonly Hash[]): Promise<Map<string, LeafRecord>> {
    const found = new Map<string, LeafRecord>();
    if (hashes.length === 0) return found;
    const rows = await this.#read<{ idx: number; leaf_hash: Buffer; kind: number; fleet_id: string | null }>(
      'SELECT idx, leaf_hash, kind, fleet_id FROM log_entries WHERE leaf_hash = ANY($1::bytea[])',
      [hashes],
    );
    for (const r of rows.rows)
      found.set(toHex(r.leaf_hash), {
        index: r.idx,
        kind: KIND_NAMES[r.kind] ?? 'other',
        fleetId: r.fleet_id ?? undefined,
      });
    return found;
  }

  async readNodes(nodes: readonly NodeId[]): Promise<Hash[]> {
    if (nodes.length === 0) return [];
    const rows = await this.#read<{ hash: Buffer; ord: number }>(
      `SELECT n.hash, q.ord FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS q(level, idx, ord)
       JOIN log_nodes n ON n.level = q.level AND n.idx = q.idx`,
      [nodes.map((n) => n.level), nodes.map((n) => n.index)],
    );
    const out: Hash[] = new Array(nodes.length);
    for (const r of rows.rows) out[r.ord - 1] = r.hash;
    for (let i = 0; i < nodes.length; i++)
      if (!out[i])
        throw new FleetlogError('internal', `Merkle node (${nodes[i]!.level}, ${nodes[i]!.index}) is not stored`);
    return out;
  }

  async readLevelHashes(level: number, start: number, count: number): Promise<Uint8Array> {
    if (level % TILE_HEIGHT === 0 && start % TILE_WIDTH === 0 && count <= TILE_WIDTH) {
      const full = await this.#read<{ data: Buffer }>('SELECT data FROM log_tiles WHERE id = $1', [
        tileRowId(level / TILE_HEIGHT, start / TILE_WIDTH),
      ]);
      const data = full.rows[0]?.data;
      if (data) return count === TILE_WIDTH ? data : data.subarray(0, count * HASH_BYTES);
    }
    const rows = await this.#read<{ hash: Buffer }>(
      'SELECT hash FROM log_nodes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx',
      [level, start, start + count],
    );
    if (rows.rows.length !== count)
      throw new FleetlogError(
        'internal',
        `level ${level} holds ${rows.rows.length} of the ${count} hashes from ${start}`,
      );
    return Buffer.concat(
      rows.rows.map((r) => r.hash),
      count * HASH_BYTES,
    );
  }

  async readEntries(start: number, count: number): Promise<Uint8Array[]> {
    const rows = await this.#read<{ data: Buffer }>(
      'SELECT data FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx',
      [start, start + count],
    );
    if (rows.rows.length !== count)
      throw new FleetlogError('internal', `log holds ${rows.rows.length} of the ${count} entries from ${start}`);
    return rows.rows.map((r) => r.data);
  }

  async readBundleGzip(tile: number): Promise<Uint8Array | undefined> {
    const r = await this.#read<{ data: Buffer }>('SELECT data FROM log_bundle_gzip WHERE tile = $1', [tile]);
    return r.rows[0]?.data;
  }

  async storeBundleGzip(tile: number, gzip: Uint8Array): Promise<void> {
    // Not fenced: derived from entries that never change, so a follower may store it as well. Only
    // for a bundle whose last entry is stored: a premature row would refuse the completing batch.
    // A read of /tile/entries stores it: in the capped read queue like the read itself.
    await this.#read(
      `INSERT INTO log_bundle_gzip (tile, data) SELECT $1::bigint, $2::bytea WHERE EXISTS (SELECT 1 FROM log_entries WHERE idx = $1::bigint * 256 + 255)
       ON CONFLICT (tile) DO NOTHING`,
      [tile, gzip],
    );
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    const rows = await this.#read<CheckpointRow>(
      'SELECT size, root, note, signed_at_ms FROM log_checkpoints WHERE size = $1',
      [size],
    );
    return rows.rows[0] ? checkpointFromRow(rows.rows[0]) : undefined;
  }

  async listFleets(afterFleetId: string, limit: number): Promise<FleetHistory[]> {
    const rows = await this.#read<KeysetRow & { fleet_id: string }>(
      `SELECT k.fleet_id, k.idx, k.version, k.evidence_idx, k.not_before, k.not_after, e.leaf_hash
       FROM log_keysets k JOIN log_entries e ON e.idx = k.idx
       WHERE k.fleet_id IN (SELECT DISTINCT fleet_id FROM log_keysets WHERE fleet_id > $1 ORDER BY fleet_id LIMIT $2)
       ORDER BY k.fleet_id COLLATE "C", k.idx`,
      [afterFleetId, limit],
    );
    const fleets: FleetHistory[] = [];
    for (const r of rows.rows) {
      let last = fleets[fleets.length - 1];
      if (last?.fleetId !== r.fleet_id) {
        last = { fleetId: r.fleet_id, keysets: [] };
        fleets.push(last);
      }
      (last.keysets as KeysetRecord[]).push(keysetFromRow(r));
    }
    return fleets;
  }

  async keysetMark(): Promise<number> {
    const rows = await this.#read<{ mark: string }>('SELECT COALESCE(MAX(idx) + 1, 0) AS mark FROM log_keysets');
    return Number(rows.rows[0]!.mark);
  }

  async keysetsFrom(fromIndex: number, limit: number): Promise<Array<KeysetRecord & { fleetId: string }>> {
    const rows = await this.pool.query<KeysetRow & { fleet_id: string }>(
      `SELECT k.fleet_id, k.idx, k.version, k.evidence_idx, k.not_before, k.not_after, e.leaf_hash
       FROM log_keysets k JOIN log_entries e ON e.idx = k.idx
       WHERE k.idx >= $1 ORDER BY k.idx LIMIT $2`,
      [fromIndex, limit],
    );
    return rows.rows.map((r) => ({ fleetId: r.fleet_id, ...keysetFromRow(r) }));
  }

  async latestKeyset(fleetId: string, treeSize: number): Promise<KeysetRecord | undefined> {
    const rows = await this.#read<KeysetRow>(
      `SELECT k.idx, k.version, k.evidence_idx, k.not_before, k.not_after, e.leaf_hash
       FROM log_keysets k JOIN log_entries e ON e.idx = k.idx
       WHERE k.fleet_id = $1 AND k.idx < $2 ORDER BY k.idx DESC LIMIT 1`,
      [fleetId, treeSize],
    );
    return rows.rows[0] ? keysetFromRow(rows.rows[0]) : undefined;
  }

  setPublishedSize(size: number): Promise<void> {
    // GREATEST: a stale writer can never move the published size back.
    return this.#fenced(async (c) => {
      await c.query(
        "UPDATE log_meta SET value = GREATEST(value::bigint, $1::bigint)::text WHERE key = 'published_size'",
        [size],
      );
    });
  }

  async witnessStates(): Promise<WitnessStateRecord[]> {
    const rows = await this.#read<{ witness: string; size: number; updated_at_ms: number }>(
      'SELECT witness, size, updated_at_ms FROM log_witness_state ORDER BY witness COLLATE "C"',
    );
    return rows.rows.map((r) => ({ witness: r.witness, size: r.size, updatedAtMs: r.updated_at_ms }));
  }

  recordWitness(witness: string, size: number, cosignatureLine: string | undefined): Promise<void> {
    return this.#fenced(async (c) => {
      await c.query(
        'INSERT INTO log_witness_state (witness, size, updated_at_ms) VALUES ($1, $2, $3) ON CONFLICT (witness) DO UPDATE SET size = excluded.size, updated_at_ms = excluded.updated_at_ms',
        [witness, size, Date.now()],
      );
      if (cosignatureLine !== undefined)
        await c.query(
          'INSERT INTO log_cosignatures (size, witness, line) VALUES ($1, $2, $3) ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line',
          [size, witness, cosignatureLine],
        );
    });
  }

  async cosignaturesFor(size: number): Promise<CosignatureRecord[]> {
    const rows = await this.#read<{ witness: string; line: string }>(
      'SELECT witness, line FROM log_cosignatures WHERE size = $1 ORDER BY witness COLLATE "C"',
      [size],
    );
    return rows.rows.map((r) => ({ witness: r.witness, line: r.line }));
  }

  async addToken(name: string, tokenHash: Uint8Array): Promise<void> {
    try {
      await this.pool.query('INSERT INTO log_tokens (name, hash, created_at_ms) VALUES ($1, $2, $3)', [
        name,
        tokenHash,
        Date.now(),
      ]);
      this.#shared.tokensReadAt = 0;
    } catch (e) {
      if (sqlState(e) === UNIQUE_VIOLATION)
        throw new FleetlogError('conflict', `an active token named ${JSON.stringify(name)} already exists`);
      throw e;
    }
  }

  async revokeToken(name: string): Promise<boolean> {
    this.#shared.tokensReadAt = 0;
    const r = await this.pool.query(
      'UPDATE log_tokens SET revoked_at_ms = $1 WHERE name = $2 AND revoked_at_ms IS NULL',
      [Date.now(), name],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async listTokens(): Promise<TokenRecord[]> {
    const rows = await this.#read<{ name: string; created_at_ms: number; revoked_at_ms: number | null }>(
      'SELECT name, created_at_ms, revoked_at_ms FROM log_tokens ORDER BY id',
    );
    return rows.rows.map((r) => ({
      name: r.name,
      createdAtMs: r.created_at_ms,
      revokedAtMs: r.revoked_at_ms ?? undefined,
    }));
  }

  /**
   * From the active tokens as read at most TOKEN_REFRESH_MS ago (on the lease pool): a bearer check
   * costs no query, so requests with made-up tokens cannot load the database or queue behind reads.
   * A token added or revoked by another process (the CLI) counts within that second.
   */
  async findActiveToken(tokenHash: Uint8Array): Promise<string | undefined> {
    const t = this.#shared;
    if (Date.now() - t.tokensReadAt >= TOKEN_REFRESH_MS) {
      t.tokensLoading ??= this.#loadTokens().finally(() => {
        t.tokensLoading = undefined;
      });
      await t.tokensLoading;
    }
    // The last read failed (and the next is not due yet): unknown is not the same as revoked.
    if (!t.tokens) throw new FleetlogError('unavailable', DATABASE_UNAVAILABLE);
    return t.tokens.get(toHex(tokenHash));
  }

  async #loadTokens(): Promise<void> {
    const t = this.#shared;
    try {
      const rows = await t.lease.query<{ name: string; hash: Buffer }>(
        'SELECT name, hash FROM log_tokens WHERE revoked_at_ms IS NULL',
      );
      t.tokens = new Map(rows.rows.map((r) => [toHex(r.hash), r.name]));
    } catch (e) {
      t.tokens = undefined; // while the database is away, no token is taken on trust
      throw e;
    } finally {
      t.tokensReadAt = Date.now(); // at most one attempt per interval, failed or not
    }
  }

  async close(): Promise<void> {
    if (this.#isWriterView) return;
    const { reads, writer, lease } = this.#shared;
    await this.#shared.writes;
    for (const p of new Set([reads, writer, lease])) await p.end();
  }
}

interface CheckpointRow {
  size: number;
  root: Buffer;
  note: string;
  signed_at_ms: number;
}

interface KeysetRow {
  idx: number;
  version: number;
  evidence_idx: number;
  not_before: number;
  not_after: number;
  leaf_hash: Buffer;
}

function checkpointFromRow(r: CheckpointRow): StoredCheckpoint {
  return { size: r.size, rootHash: r.root, note: r.note, signedAtMs: r.signed_at_ms };
}

function keysetFromRow(r: KeysetRow): KeysetRecord {
  return {
    index: r.idx,
    version: r.version,
    evidenceIndex: r.evidence_idx,
    notBefore: r.not_before,
    notAfter: r.not_after,
    leafHash: r.leaf_hash,
  };
}
