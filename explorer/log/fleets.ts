/**
 * The fleets a log holds and, for one key set, the validation bundle rebuilt in the browser from
 * the log's tiles: both entries read from entry bundles and both inclusion proofs computed from
 * hash tiles, against the checkpoint the page verified. The fleet list (GET /fleets, fleetlog's
 * index) only says where to look; what is found there is checked by the audit steps. A log without
 * that index (static tiles on a CDN) is scanned instead, up to MAX_SCAN entries.
 */
import type { FleetBundle } from '../../core/audit/fleet-bundle.ts';
import { decodeEntry } from '../../core/entries/entry.ts';
import { FLEET_KEYSET_TYPE } from '../../core/entries/fleet-keyset.ts';
import { ID_PATTERN } from '../../core/entries/schema.ts';
import { DEPLOYMENT_EVIDENCE_TYPE } from '../../core/entries/deployment-evidence.ts';
import { toHex } from '../../core/bytes.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { tilesAtLevel, TILE_WIDTH } from '../../core/merkle/tiles.ts';
import type { LogReader } from '../../client/log-reader.ts';

export interface KeysetRef {
  readonly version: number;
  readonly index: number;
  readonly evidenceIndex: number;
  readonly notBefore: number;
  readonly notAfter: number;
}

export interface FleetRef {
  readonly fleetId: string;
  readonly keysets: readonly KeysetRef[];
}

export const MAX_SCAN = 64 * TILE_WIDTH;
const MAX_FLEET_PAGES = 20;

export interface FleetList {
  readonly fleets: FleetRef[];
  /** How the list was obtained, in words. */
  readonly source: string;
}

/** The fleets with key sets in the tree of `size` leaves. */
export async function listFleets(reader: LogReader, size: number): Promise<FleetList> {
  try {
    const fleets: FleetRef[] = [];
    let skipped = 0;
    const junk = (): string =>
      skipped ? `; ${skipped} item${skipped === 1 ? '' : 's'} of the index that no entry could carry not shown` : '';
    let after = '';
    for (let page = 0; page < MAX_FLEET_PAGES; page++) {
      const body = JSON.parse(
        await reader.text(`fleets?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`, 4 << 20),
      ) as { fleets: FleetRef[]; next: string | null };
      for (const f of body.fleets) {
        // The index is the server's word: a fleet id that no entry could carry (markup, bidi
        // overrides, a megabyte of text) or a position that is not a number is not shown at all.
        if (typeof f?.fleetId !== 'string' || !ID_PATTERN.test(f.fleetId) || !Array.isArray(f.keysets)) {
          skipped += 1;
          continue;
        }
        const keysets = f.keysets.filter(
          (k) =>
            [k?.version, k?.index, k?.evidenceIndex, k?.notBefore, k?.notAfter].every(Number.isSafeInteger) &&
            k.index < size &&
            k.evidenceIndex < size,
        );
        if (keysets.length > 0) fleets.push({ fleetId: f.fleetId, keysets });
      }
      if (!body.next || typeof body.next !== 'string')
        return { fleets, source: `the log's fleet index (GET /fleets), checked entry by entry below${junk()}` };
      after = body.next;
    }
    return { fleets, source: `the first ${MAX_FLEET_PAGES} pages of the log's fleet index${junk()}` };
  } catch {
    return scanFleets(reader, size);
  }
}

/** Reads entry bundles (newest MAX_SCAN entries at most) and indexes key sets and evidence. */
async function scanFleets(reader: LogReader, size: number): Promise<FleetList> {
  const tiles = tilesAtLevel(size, 0);
  const from = Math.max(0, tiles.length - MAX_SCAN / TILE_WIDTH);
  const evidence = new Map<string, number>();
  const byFleet = new Map<string, KeysetRef[]>();
  for (const tile of tiles.slice(from)) {
    const entries = await reader.entryBundle(tile, size);
    entries.forEach((bytes, k) => {
      const index = tile.index * TILE_WIDTH + k;
      try {
        const entry = decodeEntry(bytes);
        if (entry.type === DEPLOYMENT_EVIDENCE_TYPE) evidence.set(toHex(leafHash(bytes)), index);
        if (entry.type !== FLEET_KEYSET_TYPE) return;
        const evidenceIndex = evidence.get(entry.evidence);
        if (evidenceIndex === undefined) return;
        const list = byFleet.get(entry.fleetId) ?? [];
        list.push({
          version: entry.version,
          index,
          evidenceIndex,
          notBefore: entry.notBefore,
          notAfter: entry.notAfter,
        });
        byFleet.set(entry.fleetId, list);
      } catch {
        // not a fleetlog entry: nothing to list
      }
    });
  }
  const scanned = size - from * TILE_WIDTH;
  return {
    fleets: [...byFleet].map(([fleetId, keysets]) => ({ fleetId, keysets })),
    source: `a scan of ${scanned === size ? 'all' : `the newest ${scanned} of`} ${size} entries (this log has no fleet index)`,
  };
}

/** The validation bundle for one key set, rebuilt from tiles against the verified checkpoint. */
export async function bundleFromTiles(
  reader: LogReader,
  ref: KeysetRef,
  checkpointNote: string,
  size: number,
): Promise<FleetBundle> {
  const [keysetBytes, evidenceBytes, keysetProof, evidenceProof] = await Promise.all([
    reader.entry(ref.index, size),
    reader.entry(ref.evidenceIndex, size),
    reader.inclusionProof(ref.index, size),
    reader.inclusionProof(ref.evidenceIndex, size),
  ]);
  return {
    keyset: { bytes: keysetBytes, index: ref.index, proof: keysetProof },
    evidence: { bytes: evidenceBytes, index: ref.evidenceIndex, proof: evidenceProof },
    checkpoint: checkpointNote,
  };
}
