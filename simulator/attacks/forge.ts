/**
 * What attackers build in the scenarios: a rogue fleet (own vendor, own ceremony, same fleet id),
 * key sets over rogue keys signed by whoever the attacker controls, bundles with borrowed proofs,
 * and a forked tree signed with a stolen log key.
 */
import { formatFleetBundle, parseFleetBundle, type FleetBundle } from '../../core/audit/fleet-bundle.ts';
import { signCheckpoint } from '../../core/checkpoint.ts';
import { decodeEntry, encodeEntry } from '../../core/entries/entry.ts';
import {
  FLEET_KEYSET_TYPE,
  signFleetKeyset,
  type FleetKey,
  type FleetKeyset,
} from '../../core/entries/fleet-keyset.ts';
import { FleetlogError } from '../../core/errors.ts';
import { KEY_TYPE_ED25519, generateKey, parseSignerKey, type SignerKey } from '../../core/note/keys.ts';
import { ed25519NoteSigner } from '../../core/note/verifiers.ts';
import { fleetKeysFromEvidence, runCeremony } from '../ceremony.ts';
import { SimFleet } from '../fleet.ts';
import { firmwareImage } from '../hsm/firmware.ts';
import { HsmVendor } from '../hsm/vendor.ts';
import { MemoryTree } from './memory-tree.ts';

export function attackerKey(name: string): SignerKey {
  return parseSignerKey(generateKey(name, KEY_TYPE_ED25519).skey);
}

export interface RogueFleet {
  readonly fleet: SimFleet;
  readonly keys: FleetKey[];
}

/** A fleet the attacker runs: same fleet id and HSM ids as the real one, its own keys and vendor. */
export async function rogueFleet(fleetId: string, now: number): Promise<RogueFleet> {
  const vendor = HsmVendor.generate('rogue-vendor.example');
  const fleet = SimFleet.create({ fleetId, vendor });
  const ceremony = await runCeremony({
    fleetId,
    hsms: fleet.hsms,
    firmware: firmwareImage(),
    vendorKeys: [vendor.vkey],
    now,
  });
  return { fleet, keys: fleetKeysFromEvidence(ceremony.evidence) };
}

export function keysetOf(bundle: FleetBundle): FleetKeyset {
  const entry = decodeEntry(bundle.keyset.bytes);
  if (entry.type !== FLEET_KEYSET_TYPE) throw new FleetlogError('internal', 'bundle does not start with a key set');
  return entry;
}

/** The real key set's body with other keys (and optionally another version), signed by `publisher` and `countersigner`. */
export function substituteKeys(
  real: FleetKeyset,
  keys: FleetKeyset['keys'],
  publisher: SignerKey,
  countersigner: SignerKey,
  version = real.version,
): Uint8Array {
  const body = {
    type: real.type,
    fleetId: real.fleetId,
    version,
    keys,
    notBefore: real.notBefore,
    notAfter: real.notAfter,
    evidence: real.evidence,
  };
  return encodeEntry(signFleetKeyset(body, publisher, countersigner));
}

/** The real bundle with its key set swapped, keeping the real (now unrelated) inclusion proof. */
export function withKeyset(bundleText: string, keysetBytes: Uint8Array): string {
  const b = parseFleetBundle(bundleText);
  return formatFleetBundle({ ...b, keyset: { ...b.keyset, bytes: keysetBytes } });
}

/**
 * A malicious log's forked view: the same entries as the real tree, except the one at
 * `replaceIndex`, signed with the log's own key. Same size as the real tree, different root.
 */
export function forkedBundle(
  entries: readonly Uint8Array[],
  replaceIndex: number,
  replacement: Uint8Array,
  evidenceIndex: number,
  origin: string,
  logKey: SignerKey,
): { bundle: string; checkpoint: string } {
  const forked = entries.map((e, i) => (i === replaceIndex ? replacement : e));
  const tree = new MemoryTree(forked);
  const checkpoint = signCheckpoint({ origin, size: tree.size, rootHash: tree.root() }, [ed25519NoteSigner(logKey)]);
  const bundle = formatFleetBundle({
    keyset: { bytes: replacement, index: replaceIndex, proof: tree.inclusion(replaceIndex) },
    evidence: { bytes: forked[evidenceIndex]!, index: evidenceIndex, proof: tree.inclusion(evidenceIndex) },
    checkpoint,
  });
  return { bundle, checkpoint };
}
