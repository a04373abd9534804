/**
 * A tlog-tiles reader on the Web's fetch, for browsers, React Native, Deno and Node alike: the
 * checkpoint, hash tiles and entry bundles, and inclusion and consistency proofs computed from the
 * tiles (so it works against any C2SP tlog-tiles log, also static tiles on a CDN). It trusts
 * nothing it reads: every body has a byte cap and an exact shape, and the proofs it builds are
 * worth something only once checked against a verified checkpoint (the audit steps do that).
 */
import { decodeUtf8 } from '../core/bytes.ts';
import { MAX_CHECKPOINT_NOTE_BYTES } from '../core/checkpoint.ts';
import { decodeEntryBundle, MAX_ENTRY_BYTES } from '../core/entry-bundle.ts';
import { FleetlogError } from '../core/errors.ts';
import { HASH_SIZE, type Hash } from '../core/merkle/hash.ts';
import { assembleProof, planConsistency, planInclusion, type ProofPlan } from '../core/merkle/proof-plan.ts';
import {
  nodeHashFromTile,
  TILE_WIDTH,
  tileHashes,
  tileInTree,
  tileKey,
  tilePath,
  tileSpanForNode,
  treeCoversTile,
  type TileId,
} from '../core/merkle/tiles.ts';
import { MAX_TLOG_PROOF_BYTES } from '../core/tlog-proof.ts';

/** The fetch function the reader calls; defaults to globalThis.fetch. */
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

export interface LogReaderOptions {
  readonly fetch?: FetchLike;
  /** Deadline per request, body included (default 20 s). */
  readonly timeoutMs?: number;
}

/** An offline validation bundle is two tlog-proofs. */
export const MAX_FLEET_BUNDLE_BYTES = 2 * MAX_TLOG_PROOF_BYTES;

export class LogReader {
  /** The log's URL prefix, ending in '/'. */
  readonly base: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #tiles = new Map<string, Promise<Hash[]>>();

  /** `base` is the log's URL (absolute, or relative to the page in a browser). */
  constructor(base: string, options: LogReaderOptions = {}) {
    this.base = base.endsWith('/') ? base : `${base}/`;
    this.#fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.#timeoutMs = options.timeoutMs ?? 20_000;
  }

  /** GET `path` under the base; 404 is `not_found`, any other failure `network`, a body over `maxBytes` `too_large`. */
  async get(path: string, maxBytes: number): Promise<Uint8Array> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    const url = this.base + path;
    try {
      let res: Response;
      try {
        res = await this.#fetch(url, { signal: controller.signal });
      } catch (e) {
        throw new FleetlogError('network', `GET ${url}: ${(e as Error).message}`);
      }
      if (res.status === 404) {
        await res.body?.cancel();
        throw new FleetlogError('not_found', `GET ${url}: 404 not found`);
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new FleetlogError('network', `GET ${url}: HTTP ${res.status}`);
      }
      const declared = Number(res.headers.get('content-length') ?? '0');
      if (declared > maxBytes) {
        await res.body?.cancel();
        throw new FleetlogError('too_large', `GET ${url}: ${declared} bytes is over the ${maxBytes}-byte cap`);
      }
      return await readCapped(res, maxBytes, url);
    } catch (e) {
      if (e instanceof FleetlogError) throw e;
      throw new FleetlogError('network', `GET ${url}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async text(path: string, maxBytes: number): Promise<string> {
    return decodeUtf8(await this.get(path, maxBytes), path);
  }

  /** The signed checkpoint note, unverified. */
  checkpoint(): Promise<string> {
    return this.text('checkpoint', MAX_CHECKPOINT_NOTE_BYTES);
  }

  /** Hashes of a tile the verified tree of `size` leaves covers (a partial tile falls back to the full one). */
  tile(tile: TileId, size: number): Promise<Hash[]> {
    const key = `${tileKey(tile)}@${size}`;
    let hashes = this.#tiles.get(key);
    if (!hashes) {
      hashes = this.#tileLike(tile, size, 'hashes', async (path, width) => {
        const data = await this.#capped(path, width * HASH_SIZE);
        if (data.length !== width * HASH_SIZE)
          throw new FleetlogError('bad_tile', `tile ${path} is ${data.length} bytes, not ${width * HASH_SIZE}`);
        return tileHashes(data, width);
      });
      hashes.catch(() => this.#tiles.delete(key));
      this.#tiles.set(key, hashes);
    }
    return hashes.then((h) => h.slice(0, tile.width));
  }

  /** The entries of a level-0 tile the verified tree of `size` leaves covers. */
  async entryBundle(tile: TileId, size: number): Promise<Uint8Array[]> {
    const entries = await this.#tileLike(tile, size, 'entries', async (path, width) => {
      const data = await this.#capped(path, width * (MAX_ENTRY_BYTES + 2));
      try {
        return decodeEntryBundle(data, width);
      } catch (e) {
        throw new FleetlogError('bad_tile', `entry bundle ${path}: ${(e as Error).message}`);
      }
    });
    return entries.slice(0, tile.width);
  }

  /** Entry `index` of the verified tree of `size` leaves. */
  async entry(index: number, size: number): Promise<Uint8Array> {
    const tile =
      Number.isSafeInteger(index) && index >= 0 ? tileInTree(0, Math.floor(index / TILE_WIDTH), size) : undefined;
    if (!tile) throw new FleetlogError('not_found', `entry ${index} is not in the tree of size ${size}`);
    return (await this.entryBundle(tile, size))[index % TILE_WIDTH]!;
  }

  /** The RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves, from tiles. */
  inclusionProof(index: number, size: number): Promise<Hash[]> {
    return this.#prove(planInclusion(index, size), size);
  }

  /** The RFC 9162 consistency proof from `oldSize` to `size`, from the tiles of the tree of `size`. */
  consistencyProof(oldSize: number, size: number): Promise<Hash[]> {
    return this.#prove(planConsistency(oldSize, size), size);
  }

  async #prove(plan: ProofPlan, size: number): Promise<Hash[]> {
    const hashes = await Promise.all(
      plan.nodes.map(async (node) => {
        const span = tileSpanForNode(node, size);
        return nodeHashFromTile(span, await this.tile(span.tile, size));
      }),
    );
    return assembleProof(plan, hashes);
  }

  async #tileLike<T>(
    tile: TileId,
    size: number,
    kind: 'hashes' | 'entries',
    fetchOne: (path: string, width: number) => Promise<T>,
  ): Promise<T> {
    // C2SP tlog-tiles: never ask for a tile that no verified checkpoint requires.
    if (!treeCoversTile(tile, size))
      throw new FleetlogError('internal', `${tilePath(tile, kind)} is not covered by the tree of size ${size}`);
    try {
      return await fetchOne(tilePath(tile, kind), tile.width);
    } catch (e) {
      if (!(tile.width < TILE_WIDTH && e instanceof FleetlogError && e.code === 'not_found')) throw e;
    }
    return fetchOne(tilePath({ ...tile, width: TILE_WIDTH }, kind), TILE_WIDTH);
  }

  async #capped(path: string, maxBytes: number): Promise<Uint8Array> {
    try {
      return await this.get(path, maxBytes);
    } catch (e) {
      if (e instanceof FleetlogError && e.code === 'too_large')
        throw new FleetlogError('bad_tile', `${path} is longer than its width allows`);
      throw e;
    }
  }
}

async function readCapped(res: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new FleetlogError('too_large', `GET ${url}: body is over the ${maxBytes}-byte cap`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
