/**
 * Rendered pages of GET /fleets. Anyone can ask for any page (`after` any id, any limit), and a page
 * of 200 fleets read from storage costs ~2 ms of query and JSON rendering on the event loop; a
 * cache of pages by (after, limit) only helps requests that repeat. So every fleet's entry is kept
 * rendered in memory, in id order, and kept current by reading only the key sets stored since the
 * last request (the storage's key-set mark moves whenever one is stored): a page is then a binary
 * search and a join, whatever `after` and `limit` are, plus one indexed read of the mark.
 *
 * The copy is bounded (by default MAX_KEPT_KEYSETS key sets, ~0.5 kB each with the rendered text:
 * ~50 MB). A log with more key sets than that is served page by page from storage instead, each
 * rendered page kept in a byte-bounded LRU under the mark; such a request costs one page query, at
 * most 200 fleets.
 * The tree size in the answer moves with every append, so it is not part of the page: the caller
 * puts it in front.
 */
import { toHex } from '../core/bytes.ts';
import { ByteLru } from './byte-lru.ts';
import type { FleetHistory, KeysetRecord, LogStorage } from './storage/storage.ts';

/** Key sets kept rendered in memory by default; beyond this, pages come from storage. */
const MAX_KEPT_KEYSETS = 100_000;
/** Key sets read per storage call while catching up, so no one call holds the event loop long. */
const CATCH_UP_CHUNK = 5000;
/** All pages cached for the storage path hold at most this many characters (UTF-16: twice the bytes). */
const CACHE_CHARS = 2 * 1024 * 1024;

export interface RenderedFleetPage {
  /** The `fleets` array as JSON text. */
  readonly fleetsJson: string;
  /** The last fleet id when the page is full (there may be more), else null. */
  readonly next: string | null;
}

/** One fleet as it appears in the `fleets` array (the text JSON.stringify gives for it). */
function renderFleet(fleetId: string, keysets: readonly KeysetRecord[]): string {
  return JSON.stringify({
    fleetId,
    keysets: keysets.map((k) => ({
      version: k.version,
      index: k.index,
      leafHash: toHex(k.leafHash),
      evidenceIndex: k.evidenceIndex,
      notBefore: k.notBefore,
      notAfter: k.notAfter,
    })),
  });
}

/** Every fleet with its rendered entry, in id order, as of the key sets below `mark`. */
class KeptFleets {
  mark = 0;
  keysets = 0;
  readonly ids: string[] = [];
  readonly fleets = new Map<string, { keysets: KeysetRecord[]; json: string }>();

  add(fleetId: string, keyset: KeysetRecord): void {
    let fleet = this.fleets.get(fleetId);
    if (!fleet) {
      fleet = { keysets: [], json: '' };
      this.fleets.set(fleetId, fleet);
      this.ids.splice(this.firstAfter(fleetId), 0, fleetId);
    }
    fleet.keysets.push(keyset);
    fleet.json = renderFleet(fleetId, fleet.keysets);
    this.keysets += 1;
    this.mark = keyset.index + 1;
  }

  /** The position of the first id greater than `id` (ids compare as storage orders them: ASCII). */
  firstAfter(id: string): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  page(after: string, limit: number): RenderedFleetPage {
    const from = this.firstAfter(after);
    const ids = this.ids.slice(from, from + limit);
    const fleetsJson = `[${ids.map((id) => this.fleets.get(id)!.json).join(',')}]`;
    return { fleetsJson, next: ids.length === limit ? ids[ids.length - 1]! : null };
  }
}

export class FleetPages {
  readonly #storage: LogStorage;
  #kept: KeptFleets | undefined = new KeptFleets();
  /** The one catch-up in progress: concurrent requests wait for it instead of reading twice. */
  #catchingUp: Promise<void> | undefined;
  readonly #pages = new ByteLru<RenderedFleetPage & { mark: number; bytes: number }>(CACHE_CHARS);
  readonly #maxKept: number;

  constructor(storage: LogStorage, options: { maxKeptKeysets?: number } = {}) {
    this.#storage = storage;
    this.#maxKept = options.maxKeptKeysets ?? MAX_KEPT_KEYSETS;
  }

  /** At most `limit` fleets after `after` (by id), rendered; `limit` must already be capped. */
  async page(after: string, limit: number): Promise<RenderedFleetPage> {
    // The mark is read before the key sets: one stored in between is read too, and the copy is
    // then ahead of the mark, never behind it.
    const mark = await this.#storage.keysetMark();
    while (this.#kept && this.#kept.mark < mark) {
      this.#catchingUp ??= this.#catchUp(this.#kept).finally(() => {
        this.#catchingUp = undefined;
      });
      await this.#catchingUp;
    }
    if (this.#kept) return this.#kept.page(after, limit);
    return this.#storagePage(after, limit, mark);
  }

  async #catchUp(kept: KeptFleets): Promise<void> {
    const stored = await this.#storage.keysetsFrom(kept.mark, CATCH_UP_CHUNK);
    if (kept.keysets + stored.length > this.#maxKept) {
      this.#kept = undefined; // too many to keep: serve from storage from now on
      return;
    }
    if (stored.length === 0) throw new Error(`the key-set mark is past ${kept.mark} but no key set is stored there`);
    for (const { fleetId, ...keyset } of stored) kept.add(fleetId, keyset);
  }

  async #storagePage(after: string, limit: number, mark: number): Promise<RenderedFleetPage> {
    const key = `${limit}/${after}`;
    const hit = this.#pages.get(key);
    if (hit && hit.mark === mark) return { fleetsJson: hit.fleetsJson, next: hit.next };
    const fleets: FleetHistory[] = await this.#storage.listFleets(after, limit);
    const fleetsJson = `[${fleets.map((f) => renderFleet(f.fleetId, f.keysets)).join(',')}]`;
    const next = fleets.length === limit ? fleets[fleets.length - 1]!.fleetId : null;
    this.#pages.set(key, { fleetsJson, next, mark, bytes: fleetsJson.length + key.length });
    return { fleetsJson, next };
  }
}
