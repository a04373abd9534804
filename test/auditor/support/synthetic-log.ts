/**
 * A synthetic, honest C2SP tlog-tiles log built only from the core: entries, every tile at every
 * level, entry bundles, checkpoints signed by the log key and cosigned by test witnesses. Tests and
 * the benchmark serve it over HTTP (log-http.ts) and tamper with the responses.
 *
 * Storage is flat so that a million entries stay cheap: one byte buffer of hashes per tile level
 * (level L holds the tree-level-8L subtree hashes that are complete), and one encoded bundle per
 * full tile.
 */
import { signCheckpoint } from '../../../core/checkpoint.ts';
import { cosignerFromKey, type Cosigner } from '../../../core/cosignature.ts';
import { encodeEntryBundle, decodeEntryBundle } from '../../../core/entry-bundle.ts';
import { HASH_SIZE, leafHash, type Hash } from '../../../core/merkle/hash.ts';
import { inclusionProof, type SyncHashReader } from '../../../core/merkle/proof-plan.ts';
import type { NodeId } from '../../../core/merkle/subtree.ts';
import {
  nodeHashFromTile,
  tileHashes,
  tileSpanForNode,
  treeCoversTile,
  TILE_WIDTH,
  type TileId,
} from '../../../core/merkle/tiles.ts';
import { foldRight, rootOfLeafHashes } from '../../../core/merkle/tree.ts';
import { rangeNodes } from '../../../core/merkle/subtree.ts';
import { generateKey, KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519, parseSignerKey } from '../../../core/note/keys.ts';
import { ed25519NoteSigner } from '../../../core/note/verifiers.ts';
import type { NoteSigner } from '../../../core/note/note.ts';

class GrowableBytes {
  bytes = new Uint8Array(1024);
  length = 0;
  push(data: Uint8Array): void {
    if (this.length + data.length > this.bytes.length) {
      const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + data.length));
      next.set(this.bytes.subarray(0, this.length));
      this.bytes = next;
    }
    this.bytes.set(data, this.length);
    this.length += data.length;
  }
}

export interface LogKeys {
  readonly origin: string;
  readonly logSkey: string;
  readonly logVkey: string;
  readonly witnesses: ReadonlyArray<{ readonly name: string; readonly skey: string; readonly vkey: string }>;
}

export function makeLogKeys(origin: string, witnessNames: readonly string[] = ['w1', 'w2', 'w3']): LogKeys {
  const log = generateKey(origin, KEY_TYPE_ED25519);
  return {
    origin,
    logSkey: log.skey,
    logVkey: log.vkey,
    witnesses: witnessNames.map((name) => ({
      name: `witness.test/${name}`,
      ...generateKey(`witness.test/${name}`, KEY_TYPE_COSIGNATURE),
    })),
  };
}

export class SyntheticLog {
  readonly keys: LogKeys;
  readonly signer: NoteSigner;
  readonly cosigners: Cosigner[];
  /** levels[L]: complete subtree hashes of tree level 8L, flat. */
  readonly levels: GrowableBytes[] = [new GrowableBytes()];
  readonly fullBundles: Uint8Array[] = [];
  pending: Uint8Array[] = [];
  size = 0;
  /** The checkpoint note served at /checkpoint. */
  published = '';

  constructor(keys: LogKeys) {
    this.keys = keys;
    this.signer = ed25519NoteSigner(parseSignerKey(keys.logSkey));
    this.cosigners = keys.witnesses.map((w) => cosignerFromKey(parseSignerKey(w.skey)));
  }

  append(entry: Uint8Array): number {
    const index = this.size;
    this.pending.push(entry);
    this.#addHash(0, leafHash(entry));
    this.size += 1;
    if (this.pending.length === TILE_WIDTH) {
      this.fullBundles.push(encodeEntryBundle(this.pending));
      this.pending = [];
    }
    return index;
  }

  appendAll(entries: Iterable<Uint8Array>): void {
    for (const e of entries) this.append(e);
  }

  #addHash(level: number, hash: Hash): void {
    this.levels[level] ??= new GrowableBytes();
    const store = this.levels[level]!;
    store.push(hash);
    const count = store.length / HASH_SIZE;
    if (count % TILE_WIDTH === 0) {
      const tile = store.bytes.subarray((count - TILE_WIDTH) * HASH_SIZE, count * HASH_SIZE);
      this.#addHash(level + 1, rootOfLeafHashes(tileHashes(tile, TILE_WIDTH)));
    }
  }

  leafHash(index: number): Hash {
    return this.levels[0]!.bytes.slice(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }

  /** The tile's bytes, or undefined if the current tree does not cover it. */
  tile(tile: TileId): Uint8Array | undefined {
    if (!treeCoversTile(tile, this.size)) return undefined;
    const store = this.levels[tile.level]!;
    const start = tile.index * TILE_WIDTH * HASH_SIZE;
    return store.bytes.slice(start, start + tile.width * HASH_SIZE);
  }

  bundle(tile: TileId): Uint8Array | undefined {
    if (tile.level !== 0 || !treeCoversTile(tile, this.size)) return undefined;
    const full = this.fullBundles[tile.index];
    if (full && tile.width === TILE_WIDTH) return full;
    const entries = full ? decodeEntryBundle(full, TILE_WIDTH) : this.pending;
    return encodeEntryBundle(entries.slice(0, tile.width));
  }

  entry(index: number): Uint8Array {
    const t = Math.floor(index / TILE_WIDTH);
    const full = this.fullBundles[t];
    return full ? decodeEntryBundle(full, TILE_WIDTH)[index % TILE_WIDTH]! : this.pending[index % TILE_WIDTH]!;
  }

  /** Root of the first `size` leaves (any size up to the current one). */
  root(size = this.size): Hash {
    return foldRight(rangeNodes(0, size).map((n) => this.node(n)));
  }

  /** A hash reader over this log's tiles, for proofs at `size`. */
  reader(size = this.size): SyncHashReader {
    return {
      readNodes: (nodes: readonly NodeId[]) =>
        nodes.map((n) => {
          const span = tileSpanForNode(n, size);
          return nodeHashFromTile(span, tileHashes(this.tile(span.tile)!, span.tile.width));
        }),
    };
  }

  inclusionProof(index: number, size = this.size): Hash[] {
    return inclusionProof(this.reader(size), index, size);
  }

  /**
   * A signed checkpoint for `size` leaves, cosigned by the witnesses at `cosignWith` (indexes into
   * keys.witnesses; default all) at `time`.
   */
  checkpoint(options: { size?: number; cosignWith?: readonly number[]; time?: number } = {}): string {
    const size = options.size ?? this.size;
    const note = signCheckpoint(
      { origin: this.keys.origin, size, rootHash: size === this.size ? this.#currentRoot() : this.root(size) },
      [this.signer],
    );
    const text = new TextEncoder().encode(note.slice(0, note.indexOf('\n\n') + 1));
    const time = options.time ?? Math.floor(Date.now() / 1000);
    const lines = (options.cosignWith ?? this.cosigners.map((_, i) => i)).map((i) =>
      this.cosigners[i]!.cosign(text, time),
    );
    return note + lines.join('');
  }

  #rootCache: { size: number; root: Hash } | undefined;
  #currentRoot(): Hash {
    if (this.#rootCache?.size !== this.size) this.#rootCache = { size: this.size, root: this.#rootFromLevels() };
    return this.#rootCache.root;
  }

  /** Root from the per-level hashes, cheap even for a million entries. */
  #rootFromLevels(): Hash {
    return foldRight(rangeNodes(0, this.size).map((n) => this.node(n)));
  }

  /** Any perfect subtree hash, from the level store that covers it. */
  node(n: NodeId): Hash {
    const tileLevel = Math.floor(n.level / 8);
    const count = 2 ** (n.level - tileLevel * 8);
    const first = n.index * count;
    const store = this.levels[tileLevel]!.bytes;
    const hashes: Hash[] = [];
    for (let i = 0; i < count; i++) hashes.push(store.subarray((first + i) * HASH_SIZE, (first + i + 1) * HASH_SIZE));
    return rootOfLeafHashes(hashes);
  }

  publish(options: { cosignWith?: readonly number[]; time?: number } = {}): string {
    this.published = this.checkpoint(options);
    return this.published;
  }
}

/** 64 bytes, distinct per index: the generic benchmark entry. */
export function genericEntry(i: number): Uint8Array {
  const e = new Uint8Array(64);
  new DataView(e.buffer).setFloat64(0, i);
  e.fill(i & 0xff, 8);
  return e;
}
