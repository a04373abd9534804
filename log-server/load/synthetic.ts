/**
 * Valid synthetic entries: one deployment-evidence entry for a new fleet of attested HSMs, and the
 * fleet-keyset that references it, signed and counter-signed with the load keys.
 */
import { randomBytes } from 'node:crypto';
import { toHex } from '../../core/bytes.ts';
import {
  DEPLOYMENT_EVIDENCE_TYPE,
  signAttestation,
  type DeploymentEvidence,
  type HsmRecord,
} from '../../core/entries/deployment-evidence.ts';
import { encodeEntry, entryLeafHashHex } from '../../core/entries/entry.ts';
import { FLEET_KEYSET_TYPE, signFleetKeyset } from '../../core/entries/fleet-keyset.ts';
import type { LoadKeys } from './keys.ts';

export interface EntryPair {
  readonly fleetId: string;
  readonly evidence: Uint8Array;
  readonly keyset: Uint8Array;
}

const REGIONS = ['eu-west', 'us-east', 'ap-south'];
const YEAR = 365 * 24 * 3600;

export function syntheticPair(
  keys: LoadKeys,
  fleetId: string,
  options: { hsms?: number; now?: number } = {},
): EntryPair {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const firmwareHash = toHex(randomBytes(32));
  const hsms: HsmRecord[] = [];
  for (let i = 0; i < (options.hsms ?? 3); i++) {
    const id = `hsm-${i}`;
    const hsmKeys = [{ alg: 'ed25519', publicKey: toHex(randomBytes(32)) }];
    const statement = { hsmId: id, keys: hsmKeys, measurement: firmwareHash };
    hsms.push({
      id,
      region: REGIONS[i % REGIONS.length]!,
      keys: hsmKeys,
      measurement: firmwareHash,
      attestation: signAttestation(keys.hsmVendor, statement),
    });
  }
  const evidence: DeploymentEvidence = {
    type: DEPLOYMENT_EVIDENCE_TYPE,
    fleetId,
    specVersion: 'fleetlog-spec/1',
    firmware: { release: 'load-firmware 1.0', sha256: firmwareHash },
    hsms,
    ceremony: {
      id: `ceremony-${fleetId}`.slice(0, 64),
      time: now,
      participants: ['load-operator', 'load-auditor'],
      transcriptSha256: toHex(randomBytes(32)),
    },
  };
  const evidenceBytes = encodeEntry(evidence);
  const keyset = signFleetKeyset(
    {
      type: FLEET_KEYSET_TYPE,
      fleetId,
      version: 1,
      keys: hsms.map((h) => ({ hsmId: h.id, alg: h.keys[0]!.alg, publicKey: h.keys[0]!.publicKey })),
      notBefore: now,
      notAfter: now + YEAR,
      evidence: entryLeafHashHex(evidenceBytes),
    },
    keys.publisher,
    keys.countersigner,
  );
  return { fleetId, evidence: evidenceBytes, keyset: encodeEntry(keyset) };
}
