/**
 * Tiles and entry bundles (C2SP tlog-tiles) read from storage, with a byte-bounded LRU in front:
 * a tile path names immutable content (a partial tile is a fixed prefix of its full tile), so a
 * cached answer never goes stale. The caller checks that the tree covers the tile.
 */
import { encodeEntryBundle } from '../core/entry-bundle.ts';
import { TILE_HEIGHT, TILE_WIDTH, type TileId, type TileKind } from '../core/merkle/tiles.ts';
import type { LogStorage } from './storage/storage.ts';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Each of the three caches (hash tiles, entry bundles, gzipped bundles) holds at most this much. */
const CACHE_BYTES = 4 * 1024 * 1024;

class ByteLru {
  readonly #map = new Map<string, Uint8Array>();
  #bytes = 0;
  constructor(readonly maxBytes: number) {}

  get(key: string): Uint8Array | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  set(key: string, value: Uint8Array): void {
    if (value.length > this.maxBytes) return;
    const old = this.#map.get(key);
    if (old) {
      this.#bytes -= old.length;
      this.#map.delete(key);
    }
    this.#map.set(key, value);
    this.#bytes += value.length;
    for (const [k, v] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(k);
      this.#bytes -= v.length;
    }
  }
}

export class TileReader {
  readonly #storage: LogStorage;
  readonly #hashes: ByteLru;
  readonly #bundles: ByteLru;
  readonly #gzipped: ByteLru;

  constructor(storage: LogStorage) {
    this.#storage = storage;
    this.#hashes = new ByteLru(CACHE_BYTES);
    this.#bundles = new ByteLru(CACHE_BYTES);
    this.#gzipped = new ByteLru(CACHE_BYTES);
  }

  async read(kind: TileKind, tile: TileId): Promise<Uint8Array> {
    const key = `${tile.level}/${tile.index}/${tile.width}`;
    const cache = kind === 'hashes' ? this.#hashes : this.#bundles;
    const hit = cache.get(key);
    if (hit) return hit;
    const start = tile.index * TILE_WIDTH;
    const data =
      kind === 'hashes'
        ? await this.#storage.readLevelHashes(tile.level * TILE_HEIGHT, start, tile.width)
        : encodeEntryBundle(await this.#storage.readEntries(start, tile.width));
    cache.set(key, data);
    return data;
  }

  /**
   * An entry bundle gzip-compressed (tlog-tiles: bundles SHOULD be compressed at the HTTP layer).
   * Compressed on the libuv thread pool, once per bundle while it stays cached.
   */
  async readGzippedBundle(tile: TileId): Promise<Uint8Array> {
    const key = `${tile.index}/${tile.width}`;
    const hit = this.#gzipped.get(key);
    if (hit) return hit;
    const data = new Uint8Array(await gzipAsync(await this.read('entries', tile)));
    this.#gzipped.set(key, data);
    return data;
  }
}
