/**
 * The write side of the SQLite log storage: one connection, prepared statements, one transaction
 * per batch. It runs either inline (on the serving thread) or inside the writer thread
 * (writer-thread.ts), so that the commit's fsync never blocks HTTP serving.
 */
import type Database from 'better-sqlite3';
import { FleetlogError } from '../../core/errors.ts';
import { TILE_HEIGHT, TILE_WIDTH } from '../../core/merkle/tiles.ts';
import type { Db } from '../../service/sqlite.ts';
import { gzipBundleSync } from './bundle-gzip.ts';
import { ENTRY_KIND, tileRowId } from './schema.ts';
import type { IntegratedBatch } from './storage.ts';

type Stmt = Database.Statement<unknown[], unknown>;

/** Binds a Uint8Array as a BLOB without copying (better-sqlite3 binds Buffers). */
export function blob(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

export const HASH_BYTES = 32;

export class SqliteBatchWriter {
  readonly #db: Db;
  readonly #s: Record<string, Stmt>;
  readonly #append: (batch: IntegratedBatch) => void;
  readonly #witness: (witness: string, size: number, line: string | undefined) => void;
  /** Stored tree size, mirrored so a misordered batch is refused before it touches the file. */
  #size: number;

  constructor(db: Db) {
    this.#db = db;
    const p = (sql: string): Stmt => db.prepare<unknown[], unknown>(sql);
    this.#s = {
      insEntry: p('INSERT INTO entries (idx, leaf_hash, data, kind, fleet_id) VALUES (?, ?, ?, ?, ?)'),
      insKeyset: p(
        'INSERT INTO keysets (idx, fleet_id, version, evidence_idx, not_before, not_after) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insNode: p('INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)'),
      insTile: p('INSERT INTO tiles (id, data) VALUES (?, ?)'),
      insBundleGzip: p('INSERT INTO bundle_gzip (tile, data) VALUES (?, ?)'),
      // Only for a bundle whose last entry is stored: a premature row would refuse the batch that
      // completes the bundle, and so every batch after it.
      keepBundleGzip: p(
        'INSERT INTO bundle_gzip (tile, data) SELECT @tile, @data WHERE EXISTS (SELECT 1 FROM entries WHERE idx = @tile * 256 + 255) ON CONFLICT (tile) DO NOTHING',
      ),
      entries: p('SELECT data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx').pluck(),
      insCheckpoint: p('INSERT INTO checkpoints (size, root, note, signed_at_ms) VALUES (?, ?, ?, ?)'),
      levelRange: p('SELECT hash FROM nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx').pluck(),
      setMeta: p('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      setWitness: p(
        'INSERT INTO witness_state (witness, size, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT (witness) DO UPDATE SET size = excluded.size, updated_at_ms = excluded.updated_at_ms',
      ),
      setCosignature: p(
        'INSERT INTO cosignatures (size, witness, line) VALUES (?, ?, ?) ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line',
      ),
    };
    this.#append = db.transaction((batch: IntegratedBatch) => this.#appendInTransaction(batch));
    this.#witness = db.transaction((witness: string, size: number, line: string | undefined) => {
      this.#s.setWitness!.run(witness, size, Date.now());
      if (line !== undefined) this.#s.setCosignature!.run(size, witness, line);
    });
    this.#size = Number(db.prepare('SELECT COALESCE(MAX(idx) + 1, 0) FROM entries').pluck().get());
  }

  appendBatch(batch: IntegratedBatch): void {
    this.#append(batch);
    this.#size += batch.entries.length;
  }

  recordWitness(witness: string, size: number, line: string | undefined): void {
    this.#witness(witness, size, line);
  }

  /** A lazily made compression of a bundle an older fleetlog completed; an existing one is kept. */
  storeBundleGzip(tile: number, gzip: Uint8Array): void {
    this.#s.keepBundleGzip!.run({ tile, data: blob(gzip) });
  }

  setPublishedSize(size: number): void {
    this.#s.setMeta!.run('published_size', String(size));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #appendInTransaction(batch: IntegratedBatch): void {
    const s = this.#s;
    const first = batch.entries[0]?.index ?? this.#size;
    if (first !== this.#size || batch.checkpoint.size !== this.#size + batch.entries.length) {
      throw new FleetlogError(
        'internal',
        `batch for indices from ${first} (checkpoint ${batch.checkpoint.size}) does not extend a tree of ${this.#size}`,
      );
    }
    for (const e of batch.entries) {
      const f = e.facts;
      s.insEntry!.run(
        e.index,
        blob(e.leafHash),
        blob(e.data),
        ENTRY_KIND[f.kind],
        f.kind === 'other' ? null : f.fleetId,
      );
      if (f.kind === 'keyset')
        s.insKeyset!.run(e.index, f.fleetId, f.version, f.evidenceIndex, f.notBefore, f.notAfter);
      // The last entry of a bundle completes it: compress it once, here, in the same transaction.
      if (e.index % TILE_WIDTH === TILE_WIDTH - 1) {
        const tile = (e.index + 1) / TILE_WIDTH - 1;
        const bundle = s.entries!.all(tile * TILE_WIDTH, (tile + 1) * TILE_WIDTH) as Buffer[];
        if (bundle.length !== TILE_WIDTH)
          throw new FleetlogError('internal', `entry bundle ${tile} completed with ${bundle.length} entries`);
        s.insBundleGzip!.run(tile, blob(gzipBundleSync(bundle)));
      }
    }
    const fullTiles: Array<[number, number]> = [];
    for (const n of batch.nodes) {
      s.insNode!.run(n.level, n.index, blob(n.hash));
      // The last hash of a tile at a tile level completes that tile.
      if (n.level % TILE_HEIGHT === 0 && n.index % TILE_WIDTH === TILE_WIDTH - 1)
        fullTiles.push([n.level / TILE_HEIGHT, (n.index + 1) / TILE_WIDTH - 1]);
    }
    for (const [tileLevel, tileIndex] of fullTiles) {
      const hashes = s.levelRange!.all(
        tileLevel * TILE_HEIGHT,
        tileIndex * TILE_WIDTH,
        (tileIndex + 1) * TILE_WIDTH,
      ) as Buffer[];
      if (hashes.length !== TILE_WIDTH)
        throw new FleetlogError('internal', `tile ${tileLevel}/${tileIndex} completed with ${hashes.length} hashes`);
      s.insTile!.run(tileRowId(tileLevel, tileIndex), Buffer.concat(hashes, TILE_WIDTH * HASH_BYTES));
    }
    const cp = batch.checkpoint;
    s.insCheckpoint!.run(cp.size, blob(cp.rootHash), cp.note, cp.signedAtMs);
  }
}
