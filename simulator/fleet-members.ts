/**
 * What every way of running a fleet shares (in-process, HSMs behind localhost HTTP, HSM
 * processes): the HSM ids `<fleetId>-hsm-<n>`, their regions (round-robin over the named ones),
 * their ballot indexes, and how one fleet HSM is built: the released firmware unless told
 * otherwise, trusting its own vendor when it clones the fleet secrets to a peer.
 */
import { FleetlogError } from '../core/errors.ts';
import type { AcceptorStore } from './consensus/acceptor.ts';
import { firmwareImage, type FirmwareImage } from './hsm/firmware.ts';
import type { Ed25519Signer } from '../core/crypto/ed25519.ts';
import { Hsm, type PeerTransport } from './hsm/hsm.ts';
import type { HsmVendor } from './hsm/vendor.ts';

export const DEFAULT_FLEET_SIZE = 5;
export const DEFAULT_REGIONS: readonly string[] = ['eu-west', 'us-east', 'ap-south'];

/** Where one HSM sits in its fleet. */
export interface HsmPlace {
  readonly id: string;
  readonly region: string;
  /** 1-based, unique in the fleet: the CASPaxos ballot tie-breaker. */
  readonly index: number;
}

export function fleetLayout(
  fleetId: string,
  size = DEFAULT_FLEET_SIZE,
  regions: readonly string[] = DEFAULT_REGIONS,
): HsmPlace[] {
  if (!Number.isSafeInteger(size) || size < 1 || size > 32)
    throw new FleetlogError('usage', 'a fleet has 1 to 32 HSMs');
  if (regions.length === 0) throw new FleetlogError('usage', 'a fleet needs at least one region');
  return Array.from({ length: size }, (_, i) => ({
    id: `${fleetId}-hsm-${i + 1}`,
    region: regions[i % regions.length]!,
    index: i + 1,
  }));
}

/** What the HSMs of one fleet have in common. */
export interface FleetHsmOptions {
  readonly vendor: HsmVendor;
  readonly firmware?: FirmwareImage;
  readonly guessLimit?: number;
  readonly loginTtlMs?: number;
  /** The HSMs' clock in ms (default Date.now); tests move it to expire pending logins. */
  readonly now?: () => number;
}

/**
 * One HSM of the fleet; its acceptor state lives in `store` (default: memory), its identity key is
 * `identity` (default: a fresh one).
 */
export function fleetHsm(
  place: HsmPlace,
  o: FleetHsmOptions,
  peers: PeerTransport,
  store?: AcceptorStore,
  identity?: Ed25519Signer,
): Hsm {
  return new Hsm({
    ...place,
    firmware: o.firmware ?? firmwareImage(),
    vendor: o.vendor,
    trustedVendors: [o.vendor.vkey],
    peers,
    store,
    ...(identity ? { identity } : {}),
    guessLimit: o.guessLimit,
    loginTtlMs: o.loginTtlMs,
    now: o.now,
  });
}
