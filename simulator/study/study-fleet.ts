/**
 * The study's fleets: an in-process fleet (fleet.ts) placed over regions, ceremonied as in
 * `sim run`, and backup clients with pinned (embedded) keys, so that a recovery is exactly the
 * two OPAQUE round trips to one HSM and nothing else (no log fetch). Each client is placed in a
 * region and tries the HSMs in the order given (best coordinator first).
 */
import { KEY_TYPE_ED25519, generateKey, parseSignerKey } from '../../core/note/keys.ts';
import type { FleetKey } from '../../core/entries/fleet-keyset.ts';
import { ceremonyWithKeyset, type CeremonyHsm } from '../ceremony.ts';
import { BackupClient, FAST_KEY_STRETCHING } from '../client/backup-client.ts';
import { EmbeddedTrust } from '../client/fleet-trust-source.ts';
import { SimFleet } from '../fleet.ts';
import type { HsmEndpoint } from '../hsm/endpoint.ts';
import { firmwareImage } from '../hsm/firmware.ts';
import { HsmVendor } from '../hsm/vendor.ts';
import type { SimNetwork } from '../net/sim-network.ts';

/** Region of each HSM: N HSMs round-robin over the first R regions (as fleetLayout places them). */
export function placement(size: number, regions: readonly string[]): string[] {
  return Array.from({ length: size }, (_, i) => regions[i % regions.length]!);
}

/** Pinned fleet keys from a ceremony run on `hsms` (in-process or over HTTP). */
export async function ceremonyKeys(fleetId: string, hsms: CeremonyHsm[], vendor: HsmVendor): Promise<FleetKey[]> {
  const signer = (name: string) => parseSignerKey(generateKey(name, KEY_TYPE_ED25519).skey);
  const { keyset } = await ceremonyWithKeyset({
    fleetId,
    hsms,
    firmware: firmwareImage(),
    vendorKeys: [vendor.vkey],
    now: Math.floor(Date.now() / 1000),
    publisher: signer('publisher.example'),
    countersigner: signer('countersigner.example'),
    validitySeconds: 86_400,
  });
  return [...keyset.keyset.keys];
}

export function studyClient(
  fleetId: string,
  keys: readonly FleetKey[],
  userId: string,
  endpoints: readonly HsmEndpoint[],
): BackupClient {
  return new BackupClient({
    userId,
    fleetId,
    endpoints,
    trust: new EmbeddedTrust(fleetId, [...keys]),
    keyStretching: FAST_KEY_STRETCHING,
  });
}

export interface StudyFleet {
  readonly fleet: SimFleet;
  readonly keys: readonly FleetKey[];
  /** A client in `region` that tries the HSMs in `order` (indexes into the fleet). */
  client(userId: string, region: string | undefined, order: readonly number[]): BackupClient;
}

export async function deployStudyFleet(o: {
  fleetId: string;
  size: number;
  regions: readonly string[];
  network: SimNetwork;
}): Promise<StudyFleet> {
  const vendor = HsmVendor.generate();
  const fleet = SimFleet.create({ fleetId: o.fleetId, vendor, size: o.size, regions: o.regions, network: o.network });
  const keys = await ceremonyKeys(o.fleetId, [...fleet.hsms], vendor);
  return {
    fleet,
    keys,
    client: (userId, region, order) =>
      studyClient(
        o.fleetId,
        keys,
        userId,
        order.map((i) => fleet.endpoint(fleet.hsms[i]!.id, region)),
      ),
  };
}
