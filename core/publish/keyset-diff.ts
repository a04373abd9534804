/**
 * What changed between the log's current key set of a fleet and a new one, for the countersigner's
 * review: keys and HSMs added and removed, the window, the evidence. Pure.
 */
import type { FleetKey, FleetKeysetBody } from '../entries/fleet-keyset.ts';

export interface KeysetDiff {
  readonly previousVersion: number;
  readonly addedKeys: readonly FleetKey[];
  readonly removedKeys: readonly FleetKey[];
  readonly addedHsms: readonly string[];
  readonly removedHsms: readonly string[];
  readonly evidenceChanged: boolean;
  readonly window: { readonly before: [number, number]; readonly after: [number, number] };
}

const keyId = (k: FleetKey): string => `${k.hsmId} ${k.alg} ${k.publicKey}`;

export function diffKeysets(previous: FleetKeysetBody, next: FleetKeysetBody): KeysetDiff {
  const before = new Set(previous.keys.map(keyId));
  const after = new Set(next.keys.map(keyId));
  const hsmsBefore = new Set(previous.keys.map((k) => k.hsmId));
  const hsmsAfter = new Set(next.keys.map((k) => k.hsmId));
  return {
    previousVersion: previous.version,
    addedKeys: next.keys.filter((k) => !before.has(keyId(k))),
    removedKeys: previous.keys.filter((k) => !after.has(keyId(k))),
    addedHsms: [...hsmsAfter].filter((h) => !hsmsBefore.has(h)),
    removedHsms: [...hsmsBefore].filter((h) => !hsmsAfter.has(h)),
    evidenceChanged: previous.evidence !== next.evidence,
    window: { before: [previous.notBefore, previous.notAfter], after: [next.notBefore, next.notAfter] },
  };
}
