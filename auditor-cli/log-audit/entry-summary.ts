/**
 * The stateless part of the fleet history rules, for one entry: decode it and check everything that
 * needs no other entry (key set signatures under the pinned keys, the evidence's own attestations).
 * Runs inside the hashing workers, so the expensive signature checks use every core; the result is
 * a small plain object that the main thread folds into the ordered history (fleet-history.ts).
 */
import { toHex } from '../../core/bytes.ts';
import { DEPLOYMENT_EVIDENCE_TYPE, evidenceProblems } from '../../core/entries/deployment-evidence.ts';
import { decodeEntry } from '../../core/entries/entry.ts';
import { checkKeysetSignatures, type FleetKey } from '../../core/entries/fleet-keyset.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import type { Policy } from '../../core/policy/policy.ts';

export interface EvidenceHsm {
  readonly id: string;
  readonly region: string;
  readonly keys: ReadonlyArray<{ readonly alg: string; readonly publicKey: string }>;
}

export type EntrySummary =
  | {
      readonly kind: 'evidence';
      readonly leafHash: string;
      readonly fleetId: string;
      readonly hsms: readonly EvidenceHsm[];
      readonly firmware: string;
      readonly specVersion: string;
      readonly ceremonyTime: number;
      /** Why the evidence does not verify (empty: it does). */
      readonly problems: readonly string[];
    }
  | {
      readonly kind: 'keyset';
      readonly leafHash: string;
      readonly fleetId: string;
      readonly version: number;
      readonly keys: readonly FleetKey[];
      readonly notBefore: number;
      readonly notAfter: number;
      readonly evidence: string;
      readonly publisher: string;
      readonly countersigner: string;
      readonly publisherOk: boolean;
      readonly countersignerOk: boolean;
    }
  | { readonly kind: 'invalid'; readonly leafHash: string; readonly reason: string };

export function summarizeEntry(bytes: Uint8Array, leafHash: Hash, policy: Policy): EntrySummary {
  const hash = toHex(leafHash);
  let entry;
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
      hsms: entry.hsms.map((h) => ({ id: h.id, region: h.region, keys: h.keys.map((k) => ({ alg: k.alg, publicKey: k.publicKey })) })),
      firmware: entry.firmware.release,
      specVersion: entry.specVersion,
      ceremonyTime: entry.ceremony.time,
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
