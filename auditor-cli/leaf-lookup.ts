/**
 * Finding an entry's index from its leaf hash, for `audit inclusion` without --index. Only a log
 * with a lookup can answer (fleetlog's GET /proof/inclusion?leaf=<hex>); tlog-tiles itself has
 * none. The answer is a hint, not evidence: audit inclusion then proves the leaf at that index
 * from tiles, so a log that names a wrong index fails step 2.
 */
import { toHex } from '../core/bytes.ts';
import { FleetlogError, isFleetlogError } from '../core/errors.ts';
import type { Hash } from '../core/merkle/hash.ts';
import type { TilesClient } from './tiles-client.ts';

const MAX_LOOKUP_BYTES = 64 * 1024;

export async function lookupLeafIndex(client: TilesClient, leaf: Hash): Promise<number> {
  const hex = toHex(leaf);
  let body: Uint8Array;
  try {
    body = await client.get(`proof/inclusion?leaf=${hex}`, MAX_LOOKUP_BYTES);
  } catch (e) {
    if (isFleetlogError(e, 'not_found'))
      throw new FleetlogError(
        'not_found',
        `the log found no entry with leaf hash ${hex} (${e.message}); a log without fleetlog's lookup needs --index`,
      );
    throw e;
  }
  let index: unknown;
  try {
    index = (JSON.parse(new TextDecoder().decode(body)) as { index?: unknown }).index;
  } catch {
    index = undefined;
  }
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0)
    throw new FleetlogError('network', `the log's lookup of leaf hash ${hex} gave no index; give --index`);
  return index;
}
