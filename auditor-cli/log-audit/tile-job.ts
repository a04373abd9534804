/**
 * The unit of work of a full log audit: one level-0 tile and its entry bundle. Recomputes every
 * leaf hash from the entries, insists the tile holds exactly those hashes, folds them into the
 * tile's subtree hashes, and (for fleetlog logs) summarises each new entry. Pure and synchronous, so
 * it runs the same in a worker thread or inline.
 */
import { toHex } from '../../core/bytes.ts';
import { sha256Into } from '../../core/crypto/sha256.ts';
import { HASH_SIZE, type Hash } from '../../core/merkle/hash.ts';
import { rangeNodes } from '../../core/merkle/subtree.ts';
import { rootOfLeafHashes } from '../../core/merkle/tree.ts';
import { tileHashes, TILE_WIDTH } from '../../core/merkle/tiles.ts';
import type { Policy } from '../../core/policy/policy.ts';
import { summarizeEntry, type EntrySummary } from './entry-summary.ts';

export interface TileJob {
  readonly tileIndex: number;
  readonly width: number;
  /** The level-0 tile: width * 32 bytes (already length-checked by the client). */
  readonly tile: Uint8Array;
  /** The entry bundle, raw. NOTE: consumed: each entry's length byte is overwritten while hashing. */
  readonly bundle: Uint8Array;
  /** Positions below this were audited in an earlier run: hashed and compared, not summarised. */
  readonly firstNew: number;
  /** If > 0, also return the subtree hashes of the first `prefix` leaves (resume check). */
  readonly prefix: number;
  /** Summarise entries for the fleet history rules. */
  readonly fleet: boolean;
}

export type TileJobResult =
  | {
      readonly ok: true;
      readonly tileIndex: number;
      /** The tile's subtree hash (tree level 8) when the tile is full. */
      readonly root?: Hash;
      /** rangeNodes(0, width) hashes when the tile is partial (the low end of the frontier). */
      readonly lowNodes?: Hash[];
      readonly prefixNodes?: Hash[];
      readonly entries?: EntrySummary[];
    }
  | { readonly ok: false; readonly tileIndex: number; readonly reason: string };

/** Subtree hashes of the first `count` leaves: rangeNodes(0, count), largest first. */
export function prefixNodeHashes(leaves: readonly Hash[], count: number): Hash[] {
  return rangeNodes(0, count).map((n) => {
    const span = 2 ** n.level;
    // slice(): a single leaf comes back as a view of the whole tile, which postMessage would copy.
    return rootOfLeafHashes(leaves.slice(n.index * span, (n.index + 1) * span)).slice();
  });
}

/** Native comparison (this runs in Node workers): a JS loop over 8 KiB per tile adds up. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.length === b.length &&
    Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))
  );
}

export function runTileJob(job: TileJob, policy: Policy | undefined): TileJobResult {
  const { bundle, width, tileIndex } = job;
  const fail = (reason: string): TileJobResult => ({ ok: false, tileIndex, reason });
  if (job.tile.length !== width * HASH_SIZE)
    return fail(`tile 0/${tileIndex} is ${job.tile.length} bytes, not ${width * HASH_SIZE}`);

  // Walk the length prefixes first, so a malformed bundle is rejected before anything is hashed.
  const offsets: number[] = [];
  const lengths: number[] = [];
  let at = 0;
  while (at < bundle.length) {
    if (offsets.length === width)
      return fail(`entry bundle ${tileIndex} has more than the ${width} entries its tile covers`);
    if (at + 2 > bundle.length) return fail(`entry bundle ${tileIndex} is truncated inside a length prefix`);
    const length = (bundle[at]! << 8) | bundle[at + 1]!;
    if (at + 2 + length > bundle.length)
      return fail(`entry bundle ${tileIndex} is truncated inside entry ${offsets.length}`);
    offsets.push(at);
    lengths.push(length);
    at += 2 + length;
  }
  if (offsets.length !== width)
    return fail(`entry bundle ${tileIndex} has ${offsets.length} entries, but its tile has ${width}`);

  // Every leaf hash goes straight into one flat buffer, compared with the tile in one call.
  const leaves = new Uint8Array(width * HASH_SIZE);
  for (let i = 0; i < width; i++) {
    const start = offsets[i]!;
    // RFC 9162 leaf hash SHA-256(0x00 || entry) without a copy: the low length byte, already read,
    // becomes the 0x00 prefix.
    bundle[start + 1] = 0x00;
    sha256Into(bundle.subarray(start + 1, start + 2 + lengths[i]!), leaves, i * HASH_SIZE);
  }
  if (!sameBytes(leaves, job.tile)) {
    const hashAt = (b: Uint8Array, i: number): Uint8Array => b.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
    let i = 0;
    while (sameBytes(hashAt(leaves, i), hashAt(job.tile, i))) i++;
    return fail(
      `entry ${tileIndex * TILE_WIDTH + i} hashes to ${toHex(hashAt(leaves, i))}, but tile 0/${tileIndex} holds ${toHex(hashAt(job.tile, i))} at position ${i}`,
    );
  }
  const hashes = tileHashes(leaves, width);

  const result: {
    ok: true;
    tileIndex: number;
    root?: Hash;
    lowNodes?: Hash[];
    prefixNodes?: Hash[];
    entries?: EntrySummary[];
  } = { ok: true, tileIndex };
  if (width === TILE_WIDTH) result.root = rootOfLeafHashes(hashes);
  else result.lowNodes = prefixNodeHashes(hashes, width);
  if (job.prefix > 0) result.prefixNodes = prefixNodeHashes(hashes, job.prefix);
  if (job.fleet && policy) {
    const entries: EntrySummary[] = [];
    for (let i = job.firstNew; i < width; i++) {
      const start = offsets[i]!;
      entries.push(summarizeEntry(bundle.subarray(start + 2, start + 2 + lengths[i]!), hashes[i]!, policy));
    }
    result.entries = entries;
  }
  return result;
}
