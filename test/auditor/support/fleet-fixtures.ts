/**
 * fleetlog entries for tests, made with the core's own signing functions: deployment evidence with
 * vendor-attested HSMs, and key sets signed by a publisher and counter-signed by an independent key.
 */
import { toHex } from '../../../core/bytes.ts';
import { sha256 } from '../../../core/crypto/sha256.ts';
import {
  DEPLOYMENT_EVIDENCE_TYPE,
  signAttestation,
  type DeploymentEvidence,
  type HsmKey,
} from '../../../core/entries/deployment-evidence.ts';
import { encodeEntry, entryLeafHashHex } from '../../../core/entries/entry.ts';
import { FLEET_KEYSET_TYPE, signFleetKeyset, type FleetKey } from '../../../core/entries/fleet-keyset.ts';
import { generateKey, KEY_TYPE_ED25519, parseSignerKey, type SignerKey } from '../../../core/note/keys.ts';
import { formatFleetBundle } from '../../../core/audit/fleet-bundle.ts';
import { parseCheckpointNote } from '../../../core/checkpoint.ts';
import { decodeEntry, type Entry } from '../../../core/entries/entry.ts';
import type { LogKeys, SyntheticLog } from './synthetic-log.ts';

export interface FleetKeys {
  readonly publisher: SignerKey;
  readonly countersigner: SignerKey;
  readonly vendor: SignerKey;
}

export function makeFleetKeys(): FleetKeys {
  const k = (name: string): SignerKey => parseSignerKey(generateKey(name, KEY_TYPE_ED25519).skey);
  return { publisher: k('publisher.test'), countersigner: k('countersigner.test'), vendor: k('hsm-vendor.test') };
}

const FIRMWARE = toHex(sha256(new TextEncoder().encode('firmware 1.0')));
let keyCounter = 0;

/** A fresh fake HSM public key (32 random-looking bytes, hex). */
export function hsmKey(): HsmKey {
  keyCounter += 1;
  return {
    alg: 'ed25519',
    publicKey: toHex(sha256(new TextEncoder().encode(`hsm key ${keyCounter} ${Math.random()}`))),
  };
}

export interface Deployment {
  readonly bytes: Uint8Array;
  readonly leafHash: string;
  readonly fleetKeys: FleetKey[];
}

export function deployment(
  keys: FleetKeys,
  fleetId: string,
  options: { hsms?: number; vendor?: SignerKey; measurement?: string } = {},
): Deployment {
  const hsms = Array.from({ length: options.hsms ?? 3 }, (_, i) => {
    const key = hsmKey();
    const id = `${fleetId}-hsm${i}`;
    const measurement = options.measurement ?? FIRMWARE;
    return {
      id,
      region: i % 2 ? 'eu-west-1' : 'us-east-1',
      keys: [key],
      measurement,
      attestation: signAttestation(options.vendor ?? keys.vendor, { hsmId: id, keys: [key], measurement }),
    };
  });
  const evidence: DeploymentEvidence = {
    type: DEPLOYMENT_EVIDENCE_TYPE,
    fleetId,
    specVersion: 'fleetlog-spec/1',
    firmware: { release: 'hsm-fw 1.0', sha256: FIRMWARE },
    hsms,
    ceremony: {
      id: `${fleetId}-ceremony`,
      time: 1_700_000_000,
      participants: ['alice', 'bob'],
      transcriptSha256: FIRMWARE,
    },
  };
  const bytes = encodeEntry(evidence);
  return {
    bytes,
    leafHash: entryLeafHashHex(bytes),
    fleetKeys: hsms.map((h) => ({ hsmId: h.id, alg: h.keys[0]!.alg, publicKey: h.keys[0]!.publicKey })),
  };
}

export function keyset(
  keys: FleetKeys,
  fleetId: string,
  version: number,
  dep: Deployment,
  options: {
    notBefore?: number;
    notAfter?: number;
    keys?: FleetKey[];
    publisher?: SignerKey;
    countersigner?: SignerKey;
  } = {},
): Uint8Array {
  const body = {
    type: FLEET_KEYSET_TYPE,
    fleetId,
    version,
    keys: options.keys ?? dep.fleetKeys,
    notBefore: options.notBefore ?? 1_700_000_000 + version,
    notAfter: options.notAfter ?? 1_700_000_000 + version + 365 * 86400,
    evidence: dep.leafHash,
  } as const;
  return encodeEntry(
    signFleetKeyset(body, options.publisher ?? keys.publisher, options.countersigner ?? keys.countersigner),
  );
}

/** A policy text pinning the log, its witnesses (quorum: `quorum` of them) and, optionally, fleet keys. */
export function policyText(log: LogKeys, options: { quorum?: number | 'none'; fleet?: FleetKeys } = {}): string {
  const lines = [`log ${log.logVkey}`];
  log.witnesses.forEach((w, i) => {
    lines.push(`witness w${i + 1} ${w.vkey}`);
  });
  const q = options.quorum ?? 2;
  if (q === 'none' || log.witnesses.length === 0) lines.push('quorum none');
  else {
    lines.push(`group g ${q} ${log.witnesses.map((_, i) => `w${i + 1}`).join(' ')}`);
    lines.push('quorum g');
  }
  if (options.fleet) {
    lines.push(
      `fleetlog publisher ${options.fleet.publisher.vkey}`,
      `fleetlog countersigner ${options.fleet.countersigner.vkey}`,
      `fleetlog hsm-vendor ${options.fleet.vendor.vkey}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Seconds inside every test key set's default validity window. */
export const TEST_NOW = 1_700_000_000 + 100 * 86400;

/** fleetlog's GET /fleet-bundle/<id> over a synthetic log: the fleet's latest key set and its evidence. */
export function fleetBundleFor(log: SyntheticLog, fleetId: string): string | undefined {
  let ks: { index: number; evidence: string } | undefined;
  const evidence = new Map<string, number>();
  for (let i = 0; i < log.size; i++) {
    let entry: Entry;
    try {
      entry = decodeEntry(log.entry(i));
    } catch {
      continue;
    }
    if (entry.fleetId !== fleetId) continue;
    if (entry.type === FLEET_KEYSET_TYPE) ks = { index: i, evidence: entry.evidence };
    else evidence.set(entryLeafHashHex(log.entry(i)), i);
  }
  if (!ks) return undefined;
  const ev = evidence.get(ks.evidence);
  if (ev === undefined) return undefined;
  const size = parseCheckpointNote(log.published).checkpoint.size;
  return formatFleetBundle({
    keyset: { bytes: log.entry(ks.index), index: ks.index, proof: log.inclusionProof(ks.index, size) },
    evidence: { bytes: log.entry(ev), index: ev, proof: log.inclusionProof(ev, size) },
    checkpoint: log.published,
  });
}
