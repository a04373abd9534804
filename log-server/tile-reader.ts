/**
 * Tiles and entry bundles (C2SP tlog-tiles) read from storage, with byte-bounded LRUs in front:
 * a tile path names immutable content (a partial tile is a fixed prefix of its full tile), so a
 * cached answer never goes stale. The caller checks that the tree covers the tile.
 *
 * The cost of a read must not depend on which width a client asks for, or anyone could bypass the
 * cache with random partial widths (`.p/1` … `.p/255`): each cache holds, per tile, the widest
 * prefix read so far, and any narrower width is a slice of it. Gzip (which costs far more than the
 * read) is done once per full bundle and once per partial bundle at the width the tree has now,
 * the one real clients ask for; other partial widths are served uncompressed, which HTTP allows.
 */
import { encodeEntryBundle } from '../core/entry-bundle.ts';
import { TILE_HEIGHT, TILE_WIDTH, type TileId, type TileKind } from '../core/merkle/tiles.ts';
import type { LogStorage } from './storage/storage.ts';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Each of the three caches (hash tiles, entry bundles, gzipped bundles) holds at most this much. */
const CACHE_BYTES = 4 * 1024 * 1024;
const HASH_BYTES = 32;

class ByteLru<V extends { readonly bytes: number }> {
  readonly #map = new Map<string, V>();
  #bytes = 0;
  constructor(readonly maxBytes: number) {}

  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    if (value.bytes > this.maxBytes) return;
    const old = this.#map.get(key);
    if (old) {
      this.#bytes -= old.bytes;
      this.#map.delete(key);
    }
    this.#map.set(key, value);
    this.#bytes += value.bytes;
    for (const [k, v] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(k);
      this.#bytes -= v.bytes;
    }
  }
}

/** The first `width` items of a tile, and where each item ends in `data` (so any prefix is a slice). */
interface Prefix {
  readonly width: number;
  readonly data: Uint8Array;
  readonly ends: readonly number[];
  readonly bytes: number;
}

function prefixOf(p: Prefix, width: number): Uint8Array {
  return width === p.width ? p.data : p.data.subarray(0, p.ends[width - 1]);
}

export interface TileReaderOptions {
  /** The current tree size: its partial bundle is the one worth compressing. */
  readonly treeSize?: () => number;
}

export class TileReader {
  readonly #storage: LogStorage;
  readonly #prefixes = new ByteLru<Prefix>(2 * CACHE_BYTES);
  readonly #gzipped = new ByteLru<{ data: Uint8Array; bytes: number }>(CACHE_BYTES);
  readonly #treeSize: (() => number) | undefined;

  constructor(storage: LogStorage, options: TileReaderOptions = {}) {
    this.#storage = storage;
    this.#treeSize = options.treeSize;
  }

  async read(kind: TileKind, tile: TileId): Promise<Uint8Array> {
    const key = `${kind}/${tile.level}/${tile.index}`;
    const cached = this.#prefixes.get(key);
    if (cached && cached.width >= tile.width) return prefixOf(cached, tile.width);
    const start = tile.index * TILE_WIDTH;
    let prefix: Prefix;
    if (kind === 'hashes') {
      const data = await this.#storage.readLevelHashes(tile.level * TILE_HEIGHT, start, tile.width);
      const ends = Array.from({ length: tile.width }, (_, i) => (i + 1) * HASH_BYTES);
      prefix = { width: tile.width, data, ends, bytes: data.length };
    } else {
      const entries = await this.#storage.readEntries(start, tile.width);
      const ends: number[] = [];
      let at = 0;
      for (const e of entries) {
        at += 2 + e.length;
        ends.push(at);
      }
      const data = encodeEntryBundle(entries);
      prefix = { width: tile.width, data, ends, bytes: data.length + 8 * ends.length };
    }
    this.#prefixes.set(key, prefix);
    return prefix.data;
  }

  /**
   * The entry bundle gzip-compressed (tlog-tiles: bundles SHOULD be compressed at the HTTP layer).
   * Compressed on the libuv thread pool, once while it stays cached.
   */
  async readGzippedBundle(tile: TileId): Promise<Uint8Array> {
    const key = `${tile.index}/${tile.width}`;
    const hit = this.#gzipped.get(key);
    if (hit) return hit.data;
    const data = new Uint8Array(await gzipAsync(await this.read('entries', tile)));
    this.#gzipped.set(key, { data, bytes: data.length });
    return data;
  }

  /**
   * For an HTTP request: the gzipped bundle, or undefined when this width is not worth compressing
   * (a partial width the tree has moved past, which anyone can ask for at random: serve it
   * uncompressed, a slice of the cached prefix).
   */
  async gzippedBundleForRequest(tile: TileId): Promise<Uint8Array | undefined> {
    if (tile.width < TILE_WIDTH && this.#treeSize !== undefined) {
      const hit = this.#gzipped.get(`${tile.index}/${tile.width}`);
      if (hit) return hit.data;
      const size = this.#treeSize();
      const current = Math.floor(size / TILE_WIDTH) === tile.index ? size % TILE_WIDTH : undefined;
      if (current !== tile.width) return undefined;
    }
    return this.readGzippedBundle(tile);
  }
}
