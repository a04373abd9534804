/**
 * Embedded mode: the app ships with a fleet's key set compiled in and no log access. Then the
 * only check left at run time is that the HSM it talks to presents a key of that set.
 */
import type { FleetKey } from '../core/entries/fleet-keyset.ts';

export interface PinnedFleet {
  readonly fleetId: string;
  readonly keys: readonly FleetKey[];
}

export interface PresentedHsmKey {
  readonly fleetId: string;
  readonly hsmId: string;
  readonly alg: string;
  /** Lowercase hex, as in the key set. */
  readonly publicKey: string;
}

export type PinnedKeyCheck =
  | { readonly ok: true; readonly key: FleetKey }
  | { readonly ok: false; readonly reason: string };

/** The pinned key of `hsmId` with algorithm `alg`, if the set has one. */
export function findHsmKey(keys: readonly FleetKey[], hsmId: string, alg: string): FleetKey | undefined {
  return keys.find((k) => k.hsmId === hsmId && k.alg === alg);
}

/** Whether an HSM's claimed identity matches the key set compiled into the app, and why not. */
export function checkPinnedKey(pinned: PinnedFleet, presented: PresentedHsmKey): PinnedKeyCheck {
  if (presented.fleetId !== pinned.fleetId)
    return { ok: false, reason: `this app pins the keys of fleet ${pinned.fleetId}, not ${presented.fleetId}` };
  const key = findHsmKey(pinned.keys, presented.hsmId, presented.alg);
  if (!key) return { ok: false, reason: `${presented.hsmId} has no ${presented.alg} key in the pinned key set` };
  if (key.publicKey !== presented.publicKey.toLowerCase())
    return { ok: false, reason: `${presented.hsmId} presents a ${presented.alg} key that is not the pinned one` };
  return { ok: true, key };
}
