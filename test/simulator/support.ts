// Shared setup for simulator tests: a vendor, a ceremonied in-process fleet and a client on it.
import { parseVerifierKey, KEY_TYPE_ED25519, generateKey, parseSignerKey } from '../../core/note/keys.ts';
import { ceremonyWithKeyset } from '../../simulator/ceremony.ts';
import { BackupClient, FAST_KEY_STRETCHING } from '../../simulator/client/backup-client.ts';
import { EmbeddedTrust, type FleetTrustSource } from '../../simulator/client/fleet-trust-source.ts';
import { SimFleet, type SimFleetOptions } from '../../simulator/fleet.ts';
import { firmwareImage } from '../../simulator/hsm/firmware.ts';
import { HsmVendor } from '../../simulator/hsm/vendor.ts';
import type { SimNetwork } from '../../simulator/net/sim-network.ts';

export const NOW = 1_760_000_000;

export async function ceremoniedFleet(
  options: Partial<SimFleetOptions> & { fleetId?: string; network?: SimNetwork } = {},
) {
  const vendor = options.vendor ?? HsmVendor.generate();
  const fleetId = options.fleetId ?? 'fleet-a';
  const fleet = SimFleet.create({ ...options, fleetId, vendor });
  const publisher = parseSignerKey(generateKey('publisher.example', KEY_TYPE_ED25519).skey);
  const countersigner = parseSignerKey(generateKey('countersigner.example', KEY_TYPE_ED25519).skey);
  const {
    ceremony,
    keyset: { keyset, keysetBytes },
  } = await ceremonyWithKeyset({
    fleetId,
    hsms: fleet.hsms,
    firmware: firmwareImage(),
    vendorKeys: [vendor.vkey],
    now: NOW,
    publisher,
    countersigner,
    validitySeconds: 86_400 * 365,
  });
  return {
    vendor,
    fleet,
    ceremony,
    keyset,
    keysetBytes,
    publisher,
    countersigner,
    vendorKey: parseVerifierKey(vendor.vkey),
  };
}

export function clientFor(fleet: SimFleet, trust: FleetTrustSource, userId = 'alice'): BackupClient {
  return new BackupClient({
    userId,
    fleetId: fleet.fleetId,
    endpoints: fleet.endpoints(),
    trust,
    keyStretching: FAST_KEY_STRETCHING,
  });
}

export function embeddedClient(f: Awaited<ReturnType<typeof ceremoniedFleet>>, userId = 'alice'): BackupClient {
  return clientFor(f.fleet, new EmbeddedTrust(f.fleet.fleetId, f.keyset.keys), userId);
}
