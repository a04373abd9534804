/**
 * The entry union. An entry's bytes are canonical JSON with a "type" field; decoding checks size,
 * canonical form and schema, and never re-encodes.
 */
import { toHex } from '../bytes.ts';
import { FleetlogError } from '../errors.ts';
import { leafHash } from '../merkle/hash.ts';
import { canonicalJsonBytes, parseCanonicalJson, type Json } from './canonical-json.ts';
import { DEPLOYMENT_EVIDENCE_TYPE, parseDeploymentEvidence, type DeploymentEvidence } from './deployment-evidence.ts';
import { FLEET_KEYSET_TYPE, parseFleetKeyset, type FleetKeyset } from './fleet-keyset.ts';
import { MAX_ENTRY_BYTES } from '../entry-bundle.ts';

export type Entry = DeploymentEvidence | FleetKeyset;
export type EntryType = Entry['type'];
export const ENTRY_TYPES: readonly EntryType[] = [DEPLOYMENT_EVIDENCE_TYPE, FLEET_KEYSET_TYPE];

export function decodeEntry(bytes: Uint8Array): Entry {
  const value = parseCanonicalJson(bytes);
  const type =
    value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as { type?: Json }).type : undefined;
  if (type === DEPLOYMENT_EVIDENCE_TYPE) return parseDeploymentEvidence(value);
  if (type === FLEET_KEYSET_TYPE) return parseFleetKeyset(value);
  throw new FleetlogError(
    'unknown_entry_type',
    `entry type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 64) : type)} is not one of ${ENTRY_TYPES.join(', ')}`,
  );
}

/** Canonical bytes of an entry object; throws if they exceed the 64 KiB entry cap. */
export function encodeEntry(entry: Entry): Uint8Array {
  const bytes = canonicalJsonBytes(entry);
  if (bytes.length > MAX_ENTRY_BYTES)
    throw new FleetlogError('too_large', `entry encodes to ${bytes.length} bytes; the maximum is ${MAX_ENTRY_BYTES}`);
  return bytes;
}

/** The RFC 9162 leaf hash of an entry, lowercase hex, as key sets reference their evidence. */
export function entryLeafHashHex(bytes: Uint8Array): string {
  return toHex(leafHash(bytes));
}
