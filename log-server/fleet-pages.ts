/**
 * Rendered pages of GET /fleets, cached. A page of 200 fleets is one query but also ~40 kB of JSON
 * built from hex and objects on the event loop, and anyone can ask for it as often as they like;
 * so each rendered page is kept (in a byte-bounded LRU) under the storage's key-set mark, which
 * moves whenever a key set is stored. A repeated request then costs one indexed read of the mark,
 * whatever the size of the page. The tree size in the answer moves with every append, so it is not
 * part of the cached text: the caller puts it in front.
 */
import { toHex } from '../core/bytes.ts';
import { ByteLru } from './byte-lru.ts';
import type { LogStorage } from './storage/storage.ts';

/** All cached pages together hold at most this many characters (UTF-16: twice as many bytes). */
const CACHE_CHARS = 2 * 1024 * 1024;

export interface RenderedFleetPage {
  /** The `fleets` array as JSON text. */
  readonly fleetsJson: string;
  /** The last fleet id when the page is full (there may be more), else null. */
  readonly next: string | null;
}

export class FleetPages {
  readonly #storage: LogStorage;
  readonly #pages = new ByteLru<RenderedFleetPage & { mark: number; bytes: number }>(CACHE_CHARS);

  constructor(storage: LogStorage) {
    this.#storage = storage;
  }

  /** At most `limit` fleets after `after` (by id), rendered; `limit` must already be capped. */
  async page(after: string, limit: number): Promise<RenderedFleetPage> {
    const key = `${limit}/${after}`;
    // The mark is read before the page: a key set stored in between makes the page newer than its
    // mark, which only costs one more render on the next request, never a stale answer.
    const mark = await this.#storage.keysetMark();
    const hit = this.#pages.get(key);
    if (hit && hit.mark === mark) return hit;
    const fleets = await this.#storage.listFleets(after, limit);
    const fleetsJson = JSON.stringify(
      fleets.map((f) => ({
        fleetId: f.fleetId,
        keysets: f.keysets.map((k) => ({
          version: k.version,
          index: k.index,
          leafHash: toHex(k.leafHash),
          evidenceIndex: k.evidenceIndex,
          notBefore: k.notBefore,
          notAfter: k.notAfter,
        })),
      })),
    );
    const next = fleets.length === limit ? fleets[fleets.length - 1]!.fleetId : null;
    this.#pages.set(key, { fleetsJson, next, mark, bytes: fleetsJson.length + key.length });
    return { fleetsJson, next };
  }
}
