/**
 * The stateless part of the fleet history rules, for one entry: decode it and check everything that
 * needs no other entry (key set signatures under the pinned keys, the evidence's own attestations).
 * Runs inside the hashing workers, so the expensive signature checks use every core; the result is
 * a small plain object that the main thread folds into the ordered history (fleet-history.ts).
 */
import { toHex } from '../../core/bytes.ts';
import { DEPLOYMENT_EVIDENCE_TYPE, evidenceProblems, type HsmRecord } from '../../core/entries/deployment-evidence.ts';
import { decodeEntry, type Entry } from '../../core/entries/entry.ts';
import { checkKeysetSignatures, type FleetKeysetBody } from '../../core/entries/fleet-keyset.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import type { Policy } from '../../core/policy/policy.ts';

export type EntrySummary =
  | {
      readonly kind: 'evidence';
      readonly leafHash: string;
      readonly fleetId: string;
      /** Measurements and attestations are checked here (problems), so they are not carried on. */
      readonly hsms: ReadonlyArray<Pick<HsmRecord, 'id' | 'region' | 'keys'>>;
      /** The firmware release. */
      readonly firmware: string;
      /** Why the evidence does not verify (empty: it does). */
      readonly problems: readonly string[];
    }
  | (Omit<FleetKeysetBody, 'type'> & {
      readonly kind: 'keyset';
      readonly leafHash: string;
      readonly publisher: string;
      readonly countersigner: string;
      readonly publisherOk: boolean;
      readonly countersignerOk: boolean;
    })
  | { readonly kind: 'invalid'; readonly leafHash: string; readonly reason: string };

export function summarizeEntry(bytes: Uint8Array, leafHash: Hash, policy: Policy): EntrySummary {
  const hash = toHex(leafHash);
  let entry: Entry;
  try {
    entry = decodeEntry(bytes);
  } catch (e) {
    return { kind: 'invalid', leafHash: hash, reason: (e as Error).message };
  }
  if (entry.type === DEPLOYMENT_EVIDENCE_TYPE) {
    return {
      kind: 'evidence',
      leafHash: hash,
      fleetId: entry.fleetId,
      hsms: entry.hsms.map((h) => ({ id: h.id, region: h.region, keys: h.keys })),
      firmware: entry.firmware.release,
      problems: evidenceProblems(entry, policy.hsmVendors),
    };
  }
  const sigs = checkKeysetSignatures(entry, policy.publishers, policy.countersigners);
  return {
    kind: 'keyset',
    leafHash: hash,
    fleetId: entry.fleetId,
    version: entry.version,
    keys: entry.keys,
    notBefore: entry.notBefore,
    notAfter: entry.notAfter,
    evidence: entry.evidence,
    publisher: entry.publisherSignature.name,
    countersigner: entry.countersignature.name,
    publisherOk: sigs.publisher,
    countersignerOk: sigs.countersigner,
  };
}
