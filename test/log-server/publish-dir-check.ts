/**
 * Checks a static publish directory from its files alone, as a reader would find it: the checkpoint
 * is signed by the log; every tile and entry bundle it needs is there (the partial tile, or the full
 * one when a partial was swept), with hashes recomputed from the entries; its root is the
 * checkpoint's; every gzip copy decompresses to its bundle; every fleet bundle's proofs verify
 * against its own checkpoint (which may be newer than the directory's). Throws on the first problem; returns the checkpoint size (0: none).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseFleetBundle } from '../../core/audit/fleet-bundle.ts';
import { bytesEqual, concatBytes } from '../../core/bytes.ts';
import { openCheckpoint } from '../../core/checkpoint.ts';
import { decodeEntryBundle, entryBundlePrefix } from '../../core/entry-bundle.ts';
import { leafHash, type Hash } from '../../core/merkle/hash.ts';
import {
  hashCountAtLevel,
  TILE_WIDTH,
  tilePath,
  tilesAtLevel,
  type TileId,
  type TileKind,
} from '../../core/merkle/tiles.ts';
import { rootOfLeafHashes } from '../../core/merkle/tree.ts';
import { verifyInclusion } from '../../core/merkle/verify.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';

function readIfPresent(path: string): Uint8Array | undefined {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** A tile, or the prefix of its full tile when the partial is gone (swept while we read). */
function readTile(dir: string, kind: TileKind, tile: TileId): Uint8Array {
  const data = readIfPresent(join(dir, tilePath(tile, kind)));
  if (data) return data;
  const full =
    tile.width < TILE_WIDTH ? readIfPresent(join(dir, tilePath({ ...tile, width: TILE_WIDTH }, kind))) : undefined;
  if (!full) throw new Error(`${tilePath(tile, kind)} is missing (and no full tile either)`);
  return kind === 'hashes' ? full.subarray(0, 32 * tile.width) : entryBundlePrefix(full, tile.width);
}

export function checkPublishDir(dir: string, vkey: string): number {
  const checkpointPath = join(dir, 'checkpoint');
  if (!existsSync(checkpointPath)) return 0; // tiles without a checkpoint are harmless
  const { checkpoint } = openCheckpoint(readFileSync(checkpointPath, 'utf8'), [ed25519NoteVerifier(vkey)]);
  const size = checkpoint.size;
  const leaves: Hash[] = [];
  for (const tile of tilesAtLevel(size, 0)) {
    const bundle = readTile(dir, 'entries', tile);
    const entries = decodeEntryBundle(bundle, tile.width);
    const gz = readIfPresent(join(dir, `${tilePath(tile, 'entries')}.gz`));
    if (gz && !bytesEqual(new Uint8Array(gunzipSync(gz)), bundle))
      throw new Error(`the gzip copy of ${tilePath(tile, 'entries')} does not decompress to its bundle`);
    const hashes = entries.map((e) => leafHash(e));
    if (!bytesEqual(readTile(dir, 'hashes', tile), concatBytes(...hashes)))
      throw new Error(`${tilePath(tile)} does not hold the leaf hashes of its entries`);
    leaves.push(...hashes);
  }
  if (leaves.length !== size) throw new Error(`entry bundles hold ${leaves.length} entries, checkpoint says ${size}`);
  if (!bytesEqual(rootOfLeafHashes(leaves), checkpoint.rootHash))
    throw new Error('the entries do not hash to the checkpoint root');
  for (let level = 1; hashCountAtLevel(size, level) > 0; level++) {
    const span = TILE_WIDTH ** level;
    for (const tile of tilesAtLevel(size, level)) {
      const expected = Array.from({ length: tile.width }, (_, i) => {
        const start = (tile.index * TILE_WIDTH + i) * span;
        return rootOfLeafHashes(leaves.slice(start, start + span));
      });
      if (!bytesEqual(readTile(dir, 'hashes', tile), concatBytes(...expected)))
        throw new Error(`${tilePath(tile)} does not hold the subtree hashes of level ${level * 8}`);
    }
  }
  const bundles = join(dir, 'fleet-bundle');
  for (const fleetId of existsSync(bundles) ? readdirSync(bundles) : []) {
    const bundle = parseFleetBundle(readFileSync(join(bundles, fleetId), 'utf8'));
    // A bundle may be against a newer checkpoint than the directory's (a crash before the checkpoint
    // was renamed): it carries its own proofs, and the tiles of that tree were written before it.
    const cp = openCheckpoint(bundle.checkpoint, [ed25519NoteVerifier(vkey)]).checkpoint;
    for (const e of [bundle.keyset, bundle.evidence])
      if (!verifyInclusion(e.index, cp.size, leafHash(e.bytes), e.proof, cp.rootHash))
        throw new Error(`fleet bundle ${fleetId}: the proof of entry ${e.index} does not verify`);
  }
  return size;
}
