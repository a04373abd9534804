/**
 * LogStorage on one SQLite file (better-sqlite3, WAL, synchronous=FULL via service/sqlite.ts).
 * Reads run synchronously on this thread's connection. Writes go to a SqliteBatchWriter: inline on
 * the same connection, or (`writerThread`) on its own connection in a worker thread so the commit's
 * fsync does not block serving. A batch is one transaction, durable when `appendBatch` resolves;
 * WAL lets this thread read while the writer commits, and it sees each commit once it resolves.
 */
import type Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { toHex } from '../../core/bytes.ts';
import { FleetlogError } from '../../core/errors.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import type { NodeId } from '../../core/merkle/subtree.ts';
import { TILE_HEIGHT, TILE_WIDTH } from '../../core/merkle/tiles.ts';
import { openDatabase, type Db } from '../../service/sqlite.ts';
import { KIND_NAMES, SCHEMA_ADDITIONS_SQL, SCHEMA_FORMAT, SCHEMA_SQL, tileRowId } from './schema.ts';
import { blob, HASH_BYTES, SqliteBatchWriter } from './sqlite-writer.ts';
import { WriterThread } from './writer-thread.ts';
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

type Stmt = Database.Statement<unknown[], unknown>;

export class SqliteLogStorage implements LogStorage {
  readonly #db: Db;
  readonly #s: Record<string, Stmt>;
  readonly #inline: SqliteBatchWriter | undefined;
  readonly #thread: WriterThread | undefined;

  private constructor(db: Db, thread?: WriterThread) {
    this.#db = db;
    this.#thread = thread;
    this.#inline = thread ? undefined : new SqliteBatchWriter(db);
    const p = (sql: string): Stmt => db.prepare<unknown[], unknown>(sql);
    this.#s = {
      meta: p('SELECT value FROM meta WHERE key = ?').pluck(),
      count: p('SELECT COALESCE(MAX(idx) + 1, 0) FROM entries').pluck(),
      latestCheckpoint: p('SELECT size, root, note, signed_at_ms FROM checkpoints ORDER BY size DESC LIMIT 1').raw(),
      checkpointAt: p('SELECT size, root, note, signed_at_ms FROM checkpoints WHERE size = ?').raw(),
      findLeaf: p('SELECT idx, kind, fleet_id FROM entries WHERE leaf_hash = ?').raw(),
      node: p('SELECT hash FROM nodes WHERE level = ? AND idx = ?').pluck(),
      levelRange: p('SELECT hash FROM nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx').pluck(),
      tile: p('SELECT data FROM tiles WHERE id = ?').pluck(),
      entries: p('SELECT data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx').pluck(),
      bundleGzip: p('SELECT data FROM bundle_gzip WHERE tile = ?').pluck(),
      // One query per page: the page's fleet ids, then their key sets in one join (never 1 + N).
      fleetPage: p(
        `WITH page AS (SELECT DISTINCT fleet_id FROM keysets WHERE fleet_id > ? ORDER BY fleet_id LIMIT ?)
         SELECT k.fleet_id, k.idx, k.version, k.evidence_idx, k.not_before, k.not_after, e.leaf_hash
         FROM page JOIN keysets k ON k.fleet_id = page.fleet_id JOIN entries e ON e.idx = k.idx
         ORDER BY k.fleet_id, k.idx`,
      ).raw(),
      keysetMark: p('SELECT COALESCE(MAX(idx) + 1, 0) FROM keysets').pluck(),
      keysetsFrom: p(
        `SELECT k.fleet_id, k.idx, k.version, k.evidence_idx, k.not_before, k.not_after, e.leaf_hash
         FROM keysets k JOIN entries e ON e.idx = k.idx WHERE k.idx >= ? ORDER BY k.idx LIMIT ?`,
      ).raw(),
      latestKeyset: p(
        'SELECT k.idx, k.version, k.evidence_idx, k.not_before, k.not_after, e.leaf_hash FROM keysets k JOIN entries e ON e.idx = k.idx WHERE k.fleet_id = ? AND k.idx < ? ORDER BY k.idx DESC LIMIT 1',
      ).raw(),
      witnessStates: p('SELECT witness, size, updated_at_ms FROM witness_state ORDER BY witness').raw(),
      cosignatures: p('SELECT witness, line FROM cosignatures WHERE size = ? ORDER BY witness').raw(),
      addToken: p('INSERT INTO tokens (name, hash, created_at_ms) VALUES (?, ?, ?)'),
      revokeToken: p('UPDATE tokens SET revoked_at_ms = ? WHERE name = ? AND revoked_at_ms IS NULL'),
      listTokens: p('SELECT name, created_at_ms, revoked_at_ms FROM tokens ORDER BY id').raw(),
      findToken: p('SELECT name FROM tokens WHERE hash = ? AND revoked_at_ms IS NULL').pluck(),
    };
  }

  /** Creates a new log database; refuses if the file exists. */
  static create(path: string, init: { origin: string; vkey: string; checkpoint: StoredCheckpoint }): SqliteLogStorage {
    if (existsSync(path)) throw new FleetlogError('io', `refusing to overwrite existing log database ${path}`);
    const db = openDatabase(path);
    try {
      db.transaction(() => {
        db.exec(SCHEMA_SQL);
        db.exec(SCHEMA_ADDITIONS_SQL);
        const set = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
        set.run('format', SCHEMA_FORMAT);
        set.run('origin', init.origin);
        set.run('vkey', init.vkey);
        set.run('published_size', '0');
        const cp = init.checkpoint;
        db.prepare('INSERT INTO checkpoints (size, root, note, signed_at_ms) VALUES (?, ?, ?, ?)').run(
          cp.size,
          blob(cp.rootHash),
          cp.note,
          cp.signedAtMs,
        );
      })();
    } catch (e) {
      db.close();
      throw e;
    }
    return new SqliteLogStorage(db);
  }

  /** Opens a log database whose writes run inline on this connection (the default, also for the CLI). */
  static open(path: string): SqliteLogStorage {
    return new SqliteLogStorage(SqliteLogStorage.#openChecked(path));
  }

  /** Opens a log database whose writes run on a writer thread (`log serve --writer-thread`). */
  static async openWithWriterThread(path: string): Promise<SqliteLogStorage> {
    const db = SqliteLogStorage.#openChecked(path);
    try {
      return new SqliteLogStorage(db, await WriterThread.start(path));
    } catch (e) {
      db.close();
      throw e;
    }
  }

  static #openChecked(path: string): Db {
    if (!existsSync(path)) throw new FleetlogError('io', `no log database at ${path} (run fleetlog log init first)`);
    const db = openDatabase(path);
    const format = db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get();
    if (format !== SCHEMA_FORMAT) {
      db.close();
      throw new FleetlogError('io', `${path} is not a ${SCHEMA_FORMAT} database (format ${String(format)})`);
    }
    try {
      db.exec(SCHEMA_ADDITIONS_SQL); // the additive migration of a file an older fleetlog created
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  }

  #meta(key: string): string {
    const v = this.#s.meta!.get(key);
    if (typeof v !== 'string') throw new FleetlogError('internal', `log database has no ${key}`);
    return v;
  }

  async head(): Promise<LogHead> {
    const row = this.#s.latestCheckpoint!.get() as [number, Buffer, string, number] | undefined;
    if (!row) throw new FleetlogError('internal', 'log database holds no checkpoint');
    return {
      origin: this.#meta('origin'),
      vkey: this.#meta('vkey'),
      checkpoint: checkpointFromRow(row),
      entryCount: Number(this.#s.count!.get()),
      publishedSize: Number(this.#meta('published_size')),
    };
  }

  async appendBatch(batch: IntegratedBatch): Promise<void> {
    if (this.#thread) await this.#thread.call({ op: 'append', batch });
    else this.#inline!.appendBatch(batch);
  }

  async findLeaves(hashes: readonly Hash[]): Promise<Map<string, LeafRecord>> {
    this.#findTx ??= this.#db.transaction((hs: readonly Hash[]) => {
      const found = new Map<string, LeafRecord>();
      for (const h of hs) {
        const row = this.#s.findLeaf!.get(blob(h)) as [number, number, string | null] | undefined;
        if (row)
          found.set(toHex(h), { index: row[0], kind: KIND_NAMES[row[1]] ?? 'other', fleetId: row[2] ?? undefined });
      }
      return found;
    });
    return this.#findTx(hashes);
  }

  #findTx: ((hashes: readonly Hash[]) => Map<string, LeafRecord>) | undefined;

  async readNodes(nodes: readonly NodeId[]): Promise<Hash[]> {
    return this.readNodesSync(nodes);
  }

  /** Synchronous node reads, for callers that already run inside this process (proof assembly). */
  readNodesSync(nodes: readonly NodeId[]): Hash[] {
    // One read transaction for all of them: outside one, every statement takes its own WAL
    // snapshot, which costs more than the B-tree lookup itself.
    if (nodes.length <= 1) return this.#readNodes(nodes);
    this.#readTx ??= this.#db.transaction((ns: readonly NodeId[]) => this.#readNodes(ns));
    return this.#readTx(nodes);
  }

  #readTx: ((nodes: readonly NodeId[]) => Hash[]) | undefined;

  #readNodes(nodes: readonly NodeId[]): Hash[] {
    const get = this.#s.node!;
    const out: Hash[] = new Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      const h = get.get(n.level, n.index) as Buffer | undefined;
      if (!h) throw new FleetlogError('internal', `Merkle node (${n.level}, ${n.index}) is not stored`);
      out[i] = h;
    }
    return out;
  }

  async readLevelHashes(level: number, start: number, count: number): Promise<Uint8Array> {
    // Whole or leading part of a full tile: one blob read.
    if (level % TILE_HEIGHT === 0 && start % TILE_WIDTH === 0 && count <= TILE_WIDTH) {
      const full = this.#s.tile!.get(tileRowId(level / TILE_HEIGHT, start / TILE_WIDTH)) as Buffer | undefined;
      if (full) return count === TILE_WIDTH ? full : full.subarray(0, count * HASH_BYTES);
    }
    const rows = this.#s.levelRange!.all(level, start, start + count) as Buffer[];
    if (rows.length !== count)
      throw new FleetlogError('internal', `level ${level} holds ${rows.length} of the ${count} hashes from ${start}`);
    return Buffer.concat(rows, count * HASH_BYTES);
  }

  async readEntries(start: number, count: number): Promise<Uint8Array[]> {
    const rows = this.#s.entries!.all(start, start + count) as Buffer[];
    if (rows.length !== count)
      throw new FleetlogError('internal', `log holds ${rows.length} of the ${count} entries from ${start}`);
    return rows;
  }

  async readBundleGzip(tile: number): Promise<Uint8Array | undefined> {
    return (this.#s.bundleGzip!.get(tile) as Buffer | undefined) ?? undefined;
  }

  async storeBundleGzip(tile: number, gzip: Uint8Array): Promise<void> {
    if (this.#thread) await this.#thread.call({ op: 'bundleGzip', tile, gzip });
    else this.#inline!.storeBundleGzip(tile, gzip);
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    const row = this.#s.checkpointAt!.get(size) as [number, Buffer, string, number] | undefined;
    return row ? checkpointFromRow(row) : undefined;
  }

  async listFleets(afterFleetId: string, limit: number): Promise<FleetHistory[]> {
    const fleets: FleetHistory[] = [];
    for (const [fleetId, ...row] of this.#s.fleetPage!.all(afterFleetId, limit) as Array<[string, ...KeysetRow]>) {
      let last = fleets[fleets.length - 1];
      if (last?.fleetId !== fleetId) {
        last = { fleetId, keysets: [] };
        fleets.push(last);
      }
      (last.keysets as KeysetRecord[]).push(keysetFromRow(row));
    }
    return fleets;
  }

  async keysetMark(): Promise<number> {
    return this.#s.keysetMark!.get() as number;
  }

  async keysetsFrom(fromIndex: number, limit: number): Promise<Array<KeysetRecord & { fleetId: string }>> {
    const rows = this.#s.keysetsFrom!.all(fromIndex, limit) as Array<[string, ...KeysetRow]>;
    return rows.map(([fleetId, ...row]) => ({ fleetId, ...keysetFromRow(row) }));
  }

  async latestKeyset(fleetId: string, treeSize: number): Promise<KeysetRecord | undefined> {
    const row = this.#s.latestKeyset!.get(fleetId, treeSize) as KeysetRow | undefined;
    return row ? keysetFromRow(row) : undefined;
  }

  async setPublishedSize(size: number): Promise<void> {
    if (this.#thread) await this.#thread.call({ op: 'published', size });
    else this.#inline!.setPublishedSize(size);
  }

  async witnessStates(): Promise<WitnessStateRecord[]> {
    return (this.#s.witnessStates!.all() as Array<[string, number, number]>).map(([witness, size, updatedAtMs]) => ({
      witness,
      size,
      updatedAtMs,
    }));
  }

  async recordWitness(witness: string, size: number, cosignatureLine: string | undefined): Promise<void> {
    if (this.#thread) await this.#thread.call({ op: 'witness', witness, size, line: cosignatureLine });
    else this.#inline!.recordWitness(witness, size, cosignatureLine);
  }

  async cosignaturesFor(size: number): Promise<CosignatureRecord[]> {
    return (this.#s.cosignatures!.all(size) as Array<[string, string]>).map(([witness, line]) => ({ witness, line }));
  }

  async addToken(name: string, tokenHash: Uint8Array): Promise<void> {
    try {
      this.#s.addToken!.run(name, blob(tokenHash), Date.now());
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT'))
        throw new FleetlogError('conflict', `an active token named ${JSON.stringify(name)} already exists`);
      throw e;
    }
  }

  async revokeToken(name: string): Promise<boolean> {
    return this.#s.revokeToken!.run(Date.now(), name).changes > 0;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (this.#s.listTokens!.all() as Array<[string, number, number | null]>).map(
      ([name, createdAtMs, revoked]) => ({ name, createdAtMs, revokedAtMs: revoked ?? undefined }),
    );
  }

  async findActiveToken(tokenHash: Uint8Array): Promise<string | undefined> {
    return (this.#s.findToken!.get(blob(tokenHash)) as string | undefined) ?? undefined;
  }

  async close(): Promise<void> {
    await this.#thread?.close();
    if (this.#db.open) this.#db.close();
  }
}

type KeysetRow = [number, number, number, number, number, Buffer];

function keysetFromRow([index, version, evidenceIndex, notBefore, notAfter, leafHash]: KeysetRow): KeysetRecord {
  return { index, version, evidenceIndex, notBefore, notAfter, leafHash };
}

function checkpointFromRow([size, root, note, signedAtMs]: [number, Buffer, string, number]): StoredCheckpoint {
  return { size, rootHash: root, note, signedAtMs };
}
