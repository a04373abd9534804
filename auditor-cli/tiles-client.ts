/**
 * A small client for any C2SP tlog-tiles log (and fleetlog's extra endpoints). It is deliberately
 * suspicious: every resource has a byte cap, every tile and entry bundle is checked for its exact
 * shape (a tile of width W is exactly 32*W bytes; a bundle holds exactly W entries), and it refuses
 * to ask for a tile that the caller's verified tree size does not cover (C2SP tlog-tiles: clients
 * MUST NOT fetch partial tiles without a checkpoint that requires them).
 *
 * Content is never trusted here; callers verify hashes against a signed checkpoint.
 */
import { decodeUtf8 } from '../core/bytes.ts';
import { MAX_CHECKPOINT_NOTE_BYTES } from '../core/checkpoint.ts';
import { decodeEntryBundle, entryBundlePrefix, MAX_ENTRY_BYTES } from '../core/entry-bundle.ts';
import { FleetlogError, isFleetlogError } from '../core/errors.ts';
import { HASH_SIZE } from '../core/merkle/hash.ts';
import { tileInTree, tilePath, treeCoversTile, TILE_WIDTH, type TileId } from '../core/merkle/tiles.ts';
import { MAX_TLOG_PROOF_BYTES } from '../core/tlog-proof.ts';
import { DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, fetchBounded } from './http/bounded-fetch.ts';

/** An offline fleet bundle: two tlog-proofs (core/audit/fleet-bundle.ts). */
export const MAX_FLEET_BUNDLE_BYTES = 2 * MAX_TLOG_PROOF_BYTES;

export interface TilesClientOptions {
  readonly timeoutMs?: number;
  readonly retries?: number;
}

export interface FetchStats {
  requests: number;
  bytes: number;
}

/** Normalises a log URL to a prefix ending in '/', so `prefix + 'tile/0/000'` is right. */
function logPrefix(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FleetlogError('usage', `not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new FleetlogError('usage', `log URL must be http or https, got ${parsed.protocol}`);
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

export class TilesClient {
  readonly prefix: string;
  readonly stats: FetchStats = { requests: 0, bytes: 0 };
  readonly #timeoutMs: number;
  readonly #retries: number;

  constructor(url: string, options: TilesClientOptions = {}) {
    this.prefix = logPrefix(url);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retries = options.retries ?? DEFAULT_RETRIES;
  }

  async get(path: string, maxBytes: number): Promise<Uint8Array> {
    const { body } = await fetchBounded(this.prefix + path, {
      maxBytes,
      timeoutMs: this.#timeoutMs,
      retries: this.#retries,
    });
    this.stats.requests += 1;
    this.stats.bytes += body.length;
    return body;
  }

  /** The signed checkpoint note, unverified. An oversized one is a bad checkpoint, not a network error. */
  async checkpoint(): Promise<string> {
    try {
      return decodeUtf8(await this.get('checkpoint', MAX_CHECKPOINT_NOTE_BYTES), 'checkpoint');
    } catch (e) {
      if (isFleetlogError(e, 'too_large'))
        throw new FleetlogError(
          'bad_checkpoint',
          `the log's checkpoint is larger than ${MAX_CHECKPOINT_NOTE_BYTES} bytes`,
        );
      throw e;
    }
  }

  /**
   * The hashes of `tile`, which the verified tree of `verifiedSize` leaves must cover. Exactly
   * 32 * width bytes or `bad_tile`. If a partial tile is gone (404), the full tile is fetched
   * instead and its prefix used, as C2SP tlog-tiles allows.
   */
  async tile(tile: TileId, verifiedSize: number): Promise<Uint8Array> {
    return this.#tileLike(
      tile,
      verifiedSize,
      'hashes',
      async (path, width) => {
        const data = await this.#capped(path, width * HASH_SIZE, `tile ${path}`);
        if (data.length !== width * HASH_SIZE)
          throw new FleetlogError(
            'bad_tile',
            `tile ${path} is ${data.length} bytes; a tile of width ${width} is exactly ${width * HASH_SIZE}`,
          );
        return data;
      },
      (data) => data.subarray(0, tile.width * HASH_SIZE),
    );
  }

  /** The entries of `tile` (level 0), exactly `tile.width` of them or `bad_tile`. */
  async entryBundle(tile: TileId, verifiedSize: number): Promise<Uint8Array[]> {
    return this.#tileLike(
      tile,
      verifiedSize,
      'entries',
      async (path, width) => {
        const data = await this.#capped(path, width * (MAX_ENTRY_BYTES + 2), `entry bundle ${path}`);
        try {
          return decodeEntryBundle(data, width);
        } catch (e) {
          throw new FleetlogError('bad_tile', `entry bundle ${path}: ${(e as Error).message}`);
        }
      },
      (entries) => entries.slice(0, tile.width),
    );
  }

  /** Entry `index` of the verified tree of `verifiedSize` leaves, from its entry bundle. */
  async entry(index: number, verifiedSize: number): Promise<Uint8Array> {
    const tile = tileInTree(0, Math.floor(index / TILE_WIDTH), verifiedSize);
    if (!tile || index < 0)
      throw new FleetlogError('internal', `entry ${index} is not in the verified tree of size ${verifiedSize}`);
    return (await this.entryBundle(tile, verifiedSize))[index % TILE_WIDTH]!;
  }

  /** The raw bytes of an entry bundle (for callers that parse it elsewhere, e.g. in a worker). */
  async entryBundleBytes(tile: TileId, verifiedSize: number): Promise<Uint8Array> {
    return this.#tileLike(
      tile,
      verifiedSize,
      'entries',
      (path, width) => this.#capped(path, width * (MAX_ENTRY_BYTES + 2), `entry bundle ${path}`),
      (full) => entryBundlePrefix(full, tile.width),
    );
  }

  /** fleetlog's log-server: the offline fleet bundle for a fleet (text; parse and verify it yourself). */
  async fleetBundle(fleetId: string): Promise<string> {
    return decodeUtf8(
      await this.get(`fleet-bundle/${encodeURIComponent(fleetId)}`, MAX_FLEET_BUNDLE_BYTES),
      'fleet bundle',
    );
  }

  async #tileLike<T>(
    tile: TileId,
    verifiedSize: number,
    kind: 'hashes' | 'entries',
    fetchOne: (path: string, width: number) => Promise<T>,
    prefixOfFull: (full: T) => T,
  ): Promise<T> {
    if (kind === 'entries' && tile.level !== 0)
      throw new FleetlogError('internal', 'entry bundles exist only at level 0');
    if (!treeCoversTile(tile, verifiedSize)) {
      throw new FleetlogError(
        'internal',
        `refusing to fetch ${tilePath(tile, kind)}: the verified tree of size ${verifiedSize} does not cover it`,
      );
    }
    const path = tilePath(tile, kind);
    try {
      return await fetchOne(path, tile.width);
    } catch (e) {
      if (!(tile.width < TILE_WIDTH && isFleetlogError(e, 'not_found'))) throw e;
    }
    const full = { ...tile, width: TILE_WIDTH };
    return prefixOfFull(await fetchOne(tilePath(full, kind), TILE_WIDTH));
  }

  /** Fetches with a cap; a body over the cap is the log's fault (`bad_tile`), not ours. */
  async #capped(path: string, maxBytes: number, what: string): Promise<Uint8Array> {
    try {
      return await this.get(path, maxBytes);
    } catch (e) {
      if (isFleetlogError(e, 'too_large'))
        throw new FleetlogError('bad_tile', `${what} is longer than the ${maxBytes} bytes its width allows`);
      throw e;
    }
  }
}
