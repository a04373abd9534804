/**
 * Locating a key set's deployment evidence in the audited tree when the state's window of recent
 * evidence does not hold it (specs/audit.md B.2). Everything the log says here is checked against
 * what this auditor has verified itself, so a log that lies can cause a violation, never a pass:
 *
 *   - lookup: fleetlog's log-server answers GET /proof/inclusion?leaf=<hash>&size=<N> with an index
 *     and an inclusion proof. That is only a hint: the proof must verify against the audited root
 *     for that leaf hash and index, the index must be below the key set's, and the entry bytes
 *     fetched from its bundle must hash to that leaf hash.
 *   - scan (any tlog-tiles log, e.g. a static mirror with no lookup; or when the lookup gives no
 *     usable answer): the entry bundles are fetched again and searched for every hash still wanted
 *     by the run, at once. They are authenticated by their tile hashes: the tiles before this run
 *     must rebuild the frontier saved by the last run, and this run's tiles must hash to what
 *     this run computed for them (TileRoots). A scan that does not match fails L3.
 */
import { bytesEqual, fromHex, toHex } from '../../core/bytes.ts';
import { decodeEntryBundle } from '../../core/entry-bundle.ts';
import { FleetlogError, isFleetlogError } from '../../core/errors.ts';
import { type Hash, leafHash } from '../../core/merkle/hash.ts';
import { rangeNodes } from '../../core/merkle/subtree.ts';
import { tileInTree, TILE_HEIGHT, TILE_WIDTH } from '../../core/merkle/tiles.ts';
import { Frontier, rootOfLeafHashes } from '../../core/merkle/tree.ts';
import { verifyInclusion } from '../../core/merkle/verify.ts';
import type { Policy } from '../../core/policy/policy.ts';
import type { TilesClient } from '../tiles-client.ts';
import { type EntrySummary, summarizeEntry } from './entry-summary.ts';
import type { EvidenceSource, LocatedEntry } from './fleet-history.ts';

/** An inclusion answer holds ~log2(n) base64 hashes: 64 kB is far more than any tree needs. */
const MAX_LOOKUP_BYTES = 64 * 1024;
/** Entry bundles fetched ahead during a scan. */
const SCAN_CONCURRENCY = 8;

/** The tree an audit run is checking: its signed size and root. */
export interface AuditedTree {
  readonly size: number;
  readonly rootHash: Hash;
}

/** Reads one entry of the audited tree from its bundle, keeping the last bundle (evidence clusters). */
function entryReader(client: TilesClient, size: number): (index: number) => Promise<Uint8Array> {
  let last: { tile: number; entries: Uint8Array[] } | undefined;
  return async (index) => {
    const t = Math.floor(index / TILE_WIDTH);
    const tile = tileInTree(0, t, size);
    if (!tile) throw new FleetlogError('internal', `entry ${index} is not in a tree of size ${size}`);
    if (last?.tile !== t)
      last = { tile: t, entries: decodeEntryBundle(await client.entryBundleBytes(tile, size), tile.width) };
    return last.entries[index % TILE_WIDTH]!;
  };
}

/**
 * The log as an EvidenceSource for FleetHistory. `at` needs no proof: FleetHistory trusts what it
 * returns only if its leaf hash is the key set's evidence hash, at an index it recorded itself.
 */
export function logEvidenceSource(client: TilesClient, policy: Policy, tree: AuditedTree): EvidenceSource {
  const read = entryReader(client, tree.size);
  return {
    async at(index): Promise<EntrySummary> {
      const bytes = await read(index);
      return summarizeEntry(bytes, leafHash(bytes), policy);
    },
    async lookup(hash, before): Promise<LocatedEntry | undefined> {
      const hint = await inclusionHint(client, hash, tree.size);
      if (!hint || hint.index >= before) return undefined;
      const leaf = fromHex(hash, 32, 'evidence hash');
      if (!verifyInclusion(hint.index, tree.size, leaf, hint.proof, tree.rootHash)) return undefined;
      const bytes = await read(hint.index);
      const h = leafHash(bytes);
      if (!bytesEqual(h, leaf)) return undefined;
      return { index: hint.index, summary: summarizeEntry(bytes, h, policy) };
    },
  };
}

/** fleetlog's lookup by leaf hash, parsed; undefined when the log has none or answers nonsense. */
async function inclusionHint(
  client: TilesClient,
  hash: string,
  size: number,
): Promise<{ index: number; proof: Hash[] } | undefined> {
  let body: Uint8Array;
  try {
    body = await client.get(`proof/inclusion?leaf=${hash}&size=${size}`, MAX_LOOKUP_BYTES);
  } catch (e) {
    // No route (a static mirror), not found, or unreachable: the scan decides.
    if (isFleetlogError(e)) return undefined;
    throw e;
  }
  try {
    const v = JSON.parse(new TextDecoder().decode(body)) as { index?: unknown; size?: unknown; proof?: unknown };
    if (!Number.isSafeInteger(v.index) || (v.index as number) < 0 || v.size !== size || !Array.isArray(v.proof))
      return undefined;
    if (v.proof.length > 64 || !v.proof.every((p) => typeof p === 'string')) return undefined;
    const proof = (v.proof as string[]).map((p) => Uint8Array.from(Buffer.from(p, 'base64')));
    if (proof.some((p) => p.length !== 32)) return undefined;
    return { index: v.index as number, proof };
  } catch {
    return undefined;
  }
}

/** The level-8 hash of every full tile this run verified, so a scan can check what it refetches. */
export class TileRoots {
  readonly #roots: Uint8Array;

  constructor(
    /** The first tile of this run (it may hold leaves of the last one, checked against it). */
    readonly firstTile: number,
    endTile: number,
  ) {
    this.#roots = new Uint8Array(Math.max(0, endTile - firstTile) * 32);
  }

  /** Keeps `root` if the tile is in this run's range; a run without fleet rules keeps none. */
  set(tile: number, root: Hash): void {
    const at = (tile - this.firstTile) * 32;
    if (tile < this.firstTile || at >= this.#roots.length) return;
    this.#roots.set(root, at);
  }

  get(tile: number): Hash | undefined {
    const at = (tile - this.firstTile) * 32;
    if (tile < this.firstTile || at >= this.#roots.length) return undefined;
    const h = this.#roots.subarray(at, at + 32);
    return h.some((b) => b !== 0) ? h : undefined;
  }
}

export interface ScanInput {
  readonly client: TilesClient;
  readonly policy: Policy;
  readonly size: number;
  /** Leaf hashes (hex) wanted, each with the index below which a copy counts. */
  readonly wanted: ReadonlyMap<string, number>;
  /** Where this run started, and the frontier (rangeNodes(0, start) hashes) it started from. */
  readonly start: number;
  readonly startFrontier: readonly Hash[];
  readonly tileRoots: TileRoots;
  readonly signal?: AbortSignal;
}

/** A scan found entries that are not those audited: the log changed its history (L3). */
export class ScanMismatch extends Error {}

/**
 * The earliest entry for each wanted leaf hash below its bound, from the entry bundles, each found
 * entry authenticated (see the file comment). Tiles before this run are all scanned (their
 * frontier is what authenticates them); this run's only up to the highest bound.
 */
export async function scanForEvidence(input: ScanInput): Promise<Map<string, LocatedEntry>> {
  const { client, size, start, wanted } = input;
  const found = new Map<string, { index: number; bytes: Uint8Array }>();
  const firstTile = Math.floor(start / TILE_WIDTH);
  let bound = 0; // a loop, not Math.max(...): there may be more wanted hashes than arguments allowed
  for (const b of wanted.values()) bound = Math.max(bound, b);
  // This run's tiles up to the one holding the highest bound; only full tiles (a key set's
  // evidence in the last, partial tile is in the window: fewer than 256 entries before it).
  const endTile = Math.max(firstTile, Math.min(Math.ceil(bound / TILE_WIDTH), Math.floor(size / TILE_WIDTH)));
  const before = Frontier.empty();
  const pending = new Map<number, Promise<Uint8Array[]>>();
  let next = 0;
  const launch = (t: number): void => {
    const job = client
      .entryBundleBytes({ level: 0, index: t, width: TILE_WIDTH }, size)
      .then((b) => decodeEntryBundle(b, TILE_WIDTH));
    job.catch(() => {});
    pending.set(t, job);
  };
  for (let t = 0; t < endTile; t++) {
    if (input.signal?.aborted) throw new ScanAborted();
    while (next < endTile && next < t + SCAN_CONCURRENCY) launch(next++);
    let entries: Uint8Array[];
    try {
      entries = await pending.get(t)!;
    } catch (e) {
      if (isFleetlogError(e, 'bad_tile'))
        throw new ScanMismatch(`the log now serves a malformed entry bundle 0/${t}: ${(e as Error).message}`);
      throw e;
    }
    pending.delete(t);
    const hashes = entries.map((bytes) => leafHash(bytes));
    const root = rootOfLeafHashes(hashes);
    if (t < firstTile) before.append(root);
    else if (!bytesEqual(root, input.tileRoots.get(t) ?? new Uint8Array(32)))
      throw new ScanMismatch(`entry bundle 0/${t} no longer holds the entries audited in this run`);
    hashes.forEach((h, i) => {
      const hex = toHex(h);
      const index = t * TILE_WIDTH + i;
      const limit = wanted.get(hex);
      if (limit !== undefined && index < limit && !found.has(hex)) found.set(hex, { index, bytes: entries[i]! });
    });
  }
  // The tiles before this run: their frontier must be the one the last run saved.
  const high = rangeNodes(0, start).filter((n) => n.level >= TILE_HEIGHT).length;
  const expected = input.startFrontier.slice(0, high);
  const got = firstTile > 0 ? before.hashes : [];
  if (got.length !== expected.length || got.some((h, i) => !bytesEqual(h, expected[i]!)))
    throw new ScanMismatch(`the entry bundles before entry ${firstTile * TILE_WIDTH} are no longer those audited`);
  const located = new Map<string, LocatedEntry>();
  for (const [hex, { index, bytes }] of found)
    located.set(hex, { index, summary: summarizeEntry(bytes, fromHex(hex, 32, 'leaf hash'), input.policy) });
  return located;
}

/** The run's signal fired during a scan. */
export class ScanAborted extends Error {}
