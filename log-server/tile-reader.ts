/**
 * Tiles and entry bundles (C2SP tlog-tiles) read from storage, with byte-bounded LRUs in front:
 * a tile path names immutable content (a partial tile is a fixed prefix of its full tile), so a
 * cached answer never goes stale. The caller checks that the tree covers the tile.
 *
 * The cost of a read must not depend on which width a client asks for, or anyone could bypass the
 * cache with random partial widths (`.p/1` … `.p/255`): each cache holds, per tile, the widest
 * prefix read so far, and any narrower width is a slice of it. The same holds for gzip, which costs
 * far more than the read: HTTP answers are cut from one compression per tile at the widest width
 * the tree has (gzip-prefixes.ts), so a random width costs neither a compression nor the
 * uncompressed bytes (up to 330 kB for an entry bundle, against ~95 kB compressed).
 *
 * A full entry bundle is not cached here at all: storage keeps its gzip, made once when the bundle
 * completed (storage/bundle-gzip.ts), so a gzip answer for it is one indexed read however many
 * distinct bundles a flood asks for. Hash tiles are alike: storage keeps every full one as a blob.
 */
import { encodeEntryBundle } from '../core/entry-bundle.ts';
import { TILE_HEIGHT, TILE_WIDTH, type TileId, type TileKind } from '../core/merkle/tiles.ts';
import { ByteLru } from './byte-lru.ts';
import { type GzipPrefixes, gzipPrefixes } from './gzip-prefixes.ts';
import { SingleFlight } from './single-flight.ts';
import type { LogStorage } from './storage/storage.ts';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Each of the three caches (hash tiles, entry bundles, gzipped bundles) holds at most this much. */
const CACHE_BYTES = 4 * 1024 * 1024;
const HASH_BYTES = 32;

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
  /** The current tree size: a bundle is compressed at the widest width it has now. */
  readonly treeSize?: () => number;
}

export class TileReader {
  readonly #storage: LogStorage;
  readonly #prefixes = new ByteLru<Prefix>(2 * CACHE_BYTES);
  readonly #gzipped = new ByteLru<{ data: Uint8Array; bytes: number }>(CACHE_BYTES);
  readonly #gzipPrefixes = new ByteLru<GzipPrefixes>(CACHE_BYTES);
  #compressions = 0;
  readonly #backfills = new SingleFlight<Uint8Array>();
  /** Concurrent misses of one tile (and width) share one read, and one compression of its prefixes. */
  readonly #prefixReads = new SingleFlight<Prefix>();
  readonly #prefixCompressions = new SingleFlight<GzipPrefixes>();
  readonly #treeSize: (() => number) | undefined;

  constructor(storage: LogStorage, options: TileReaderOptions = {}) {
    this.#storage = storage;
    this.#treeSize = options.treeSize;
  }

  async read(kind: TileKind, tile: TileId): Promise<Uint8Array> {
    return prefixOf(await this.#readPrefix(kind, tile), tile.width);
  }

  /** A cached prefix at least `tile.width` wide, or the tile's first `tile.width` items read now. */
  async #readPrefix(kind: TileKind, tile: TileId): Promise<Prefix> {
    const key = `${kind}/${tile.level}/${tile.index}`;
    const cached = this.#prefixes.get(key);
    if (cached && cached.width >= tile.width) return cached;
    return this.#prefixReads.run(`${key}/${tile.width}`, async () => {
      const prefix = await this.#readPrefixFromStorage(kind, tile);
      this.#prefixes.set(key, prefix);
      return prefix;
    });
  }

  async #readPrefixFromStorage(kind: TileKind, tile: TileId): Promise<Prefix> {
    const start = tile.index * TILE_WIDTH;
    if (kind === 'hashes') {
      const data = await this.#storage.readLevelHashes(tile.level * TILE_HEIGHT, start, tile.width);
      const ends = Array.from({ length: tile.width }, (_, i) => (i + 1) * HASH_BYTES);
      return { width: tile.width, data, ends, bytes: data.length };
    }
    const entries = await this.#storage.readEntries(start, tile.width);
    const ends: number[] = [];
    let at = 0;
    for (const e of entries) {
      at += 2 + e.length;
      ends.push(at);
    }
    const data = encodeEntryBundle(entries);
    return { width: tile.width, data, ends, bytes: data.length + 8 * ends.length };
  }

  /**
   * The entry bundle gzip-compressed (tlog-tiles: bundles SHOULD be compressed at the HTTP layer).
   * A full one is storage's stored gzip; a partial one is compressed on the libuv thread pool, once
   * while it stays cached.
   */
  async readGzippedBundle(tile: TileId): Promise<Uint8Array> {
    if (tile.width === TILE_WIDTH) return this.#storedGzip(tile);
    const key = `${tile.index}/${tile.width}`;
    const hit = this.#gzipped.get(key);
    if (hit) return hit.data;
    const data = new Uint8Array(await gzipAsync(await this.read('entries', tile)));
    this.#gzipped.set(key, { data, bytes: data.length });
    return data;
  }

  /**
   * For an HTTP request: the entry bundle gzip-compressed, or undefined when it is to be answered
   * uncompressed. A full bundle is storage's stored gzip (identity clients are served its rows
   * instead: reading and framing 256 rows costs about what inflating the stored gzip does, ~2 ms,
   * and keeps the rows the one source of those bytes). A partial one is cut from the tile's one
   * compression at the widest width the tree has (compressed on a miss, or when the tile has grown
   * past it).
   *
   * A narrower width of a bundle that is already full (a client with an older checkpoint, or a
   * flood that adds `.p/W` to random full tiles to get around the stored gzip) is cut from that
   * compression while it is cached, and otherwise answered uncompressed: compressing it would cost
   * ~13 ms of CPU per request past the caches, its rows ~2 ms.
   */
  async gzippedBundleForRequest(tile: TileId): Promise<Uint8Array | undefined> {
    if (tile.width === TILE_WIDTH) return this.#storedGzip(tile);
    const key = String(tile.index);
    let prefixes = this.#gzipPrefixes.get(key);
    if (!prefixes || prefixes.width < tile.width) {
      const size = this.#treeSize?.() ?? 0;
      if (size >= (tile.index + 1) * TILE_WIDTH) return undefined;
      const widest = Math.max(tile.width, Math.min(TILE_WIDTH, size - tile.index * TILE_WIDTH));
      prefixes = await this.#prefixCompressions.run(`${key}/${widest}`, async () => {
        const prefix = await this.#readPrefix('entries', { ...tile, width: widest });
        const made = await gzipPrefixes(prefix.data, prefix.ends.slice(0, widest));
        this.#compressions += 1;
        this.#gzipPrefixes.set(key, made);
        return made;
      });
    }
    return prefixes.gzipOf(tile.width);
  }

  /**
   * A full bundle's stored gzip: one read. A bundle that an older fleetlog completed has none; it
   * is compressed and stored here once (concurrent requests share that one compression).
   */
  async #storedGzip(tile: TileId): Promise<Uint8Array> {
    const stored = await this.#storage.readBundleGzip(tile.index);
    if (stored) return stored;
    return this.#backfills.run(String(tile.index), () => this.#backfill(tile));
  }

  async #backfill(tile: TileId): Promise<Uint8Array> {
    const gzip = new Uint8Array(await gzipAsync(await this.read('entries', tile)));
    this.#compressions += 1;
    // If storing fails (say, a full disk), the answer is still right; a later request tries again.
    await this.#storage.storeBundleGzip(tile.index, gzip).catch(() => {});
    return gzip;
  }

  /** Entry bundles compressed for HTTP answers so far (each serves every narrower width after). */
  get compressions(): number {
    return this.#compressions;
  }
}
