/**
 * A small, fully deterministic fleetlog world for test vectors and tests: keys derived from fixed
 * labels, a log holding deployment evidence and fleet key sets, checkpoints cosigned at fixed
 * times, and the policy that pins it all. Nothing here reads a clock or a random source.
 */
import { toBase64, toHex, utf8 } from '../../core/bytes.ts';
import { signCheckpoint } from '../../core/checkpoint.ts';
import { cosignerFromKey } from '../../core/cosignature.ts';
import { sha256 } from '../../core/crypto/sha256.ts';
import {
  DEPLOYMENT_EVIDENCE_TYPE,
  signAttestation,
  type DeploymentEvidence,
  type HsmKey,
} from '../../core/entries/deployment-evidence.ts';
import { encodeEntry } from '../../core/entries/entry.ts';
import {
  FLEET_KEYSET_TYPE,
  signFleetKeyset,
  type FleetKeyset,
  type FleetKeysetBody,
} from '../../core/entries/fleet-keyset.ts';
import type { FleetBundle } from '../../core/audit/fleet-bundle.ts';
import { leafHash, type Hash } from '../../core/merkle/hash.ts';
import { MemoryHashStore } from '../../core/merkle/memory-hash-store.ts';
import { consistencyProof, inclusionProof } from '../../core/merkle/proof-plan.ts';
import {
  formatSignerKey,
  KEY_TYPE_COSIGNATURE,
  KEY_TYPE_ED25519,
  parseSignerKey,
  type KeyType,
  type SignerKey,
} from '../../core/note/keys.ts';
import { appendSignatureLines } from '../../core/note/note.ts';
import { ed25519NoteSigner } from '../../core/note/verifiers.ts';

/** 2026-01-01T00:00:00Z: the fixed "now" of every vector. */
export const NOW = 1767225600;
const DAY = 86400;

/** 32 bytes derived from a label; the only source of key material in the vectors. */
export function seedFor(label: string): Uint8Array {
  return sha256(utf8(`fleetlog test vectors v1: ${label}`));
}

export function fixedKey(name: string, type: KeyType, label: string = name): SignerKey {
  return parseSignerKey(formatSignerKey(name, type, seedFor(label)));
}

export function fixedSkey(name: string, type: KeyType, label: string = name): string {
  return formatSignerKey(name, type, seedFor(label));
}

export const ORIGIN = 'log.fleetlog.example/vectors';

export interface WorldKeys {
  readonly log: SignerKey;
  readonly witnesses: readonly [SignerKey, SignerKey, SignerKey];
  readonly publisher: SignerKey;
  readonly countersigner: SignerKey;
  readonly vendor: SignerKey;
}

export function worldKeys(): WorldKeys {
  return {
    log: fixedKey(ORIGIN, KEY_TYPE_ED25519),
    witnesses: [
      fixedKey('witness1.example/w', KEY_TYPE_COSIGNATURE),
      fixedKey('witness2.example/w', KEY_TYPE_COSIGNATURE),
      fixedKey('witness3.example/w', KEY_TYPE_COSIGNATURE),
    ],
    publisher: fixedKey('publisher.fleetlog.example', KEY_TYPE_ED25519),
    countersigner: fixedKey('countersigner.auditfirm.example', KEY_TYPE_ED25519),
    vendor: fixedKey('vendor.hsm.example', KEY_TYPE_ED25519),
  };
}

export function policyText(
  keys: WorldKeys,
  options: { quorum?: string; omit?: 'countersigner' | 'vendor' } = {},
): string {
  const lines = [
    '# fleetlog test-vector policy',
    `log ${keys.log.vkey} https://log.fleetlog.example/vectors/`,
    '',
    ...keys.witnesses.map((w, i) => `witness w${i + 1} ${w.vkey}`),
    'group witnesses 2 w1 w2 w3',
    `quorum ${options.quorum ?? 'witnesses'}`,
    '',
    `fleetlog publisher ${keys.publisher.vkey}`,
  ];
  if (options.omit !== 'countersigner') lines.push(`fleetlog countersigner ${keys.countersigner.vkey}`);
  else lines.push(`fleetlog countersigner ${fixedKey('other-countersigner.example', KEY_TYPE_ED25519).vkey}`);
  if (options.omit !== 'vendor') lines.push(`fleetlog hsm-vendor ${keys.vendor.vkey}`);
  return `${lines.join('\n')}\n`;
}

const hexOf = (label: string, bytes = 32): string => toHex(sha256(utf8(label))).slice(0, bytes * 2);

export function hsmKey(label: string): HsmKey {
  return { alg: 'ed25519', publicKey: hexOf(`hsm key ${label}`) };
}

/** Deployment evidence for a fleet of `hsmCount` HSMs, attested by `vendor`. */
export function makeEvidence(
  vendor: SignerKey,
  fleetId: string,
  options: { hsmCount?: number; badMeasurementFor?: number } = {},
): DeploymentEvidence {
  const firmware = { release: 'hsmfw 4.2.0', sha256: hexOf('firmware image hsmfw 4.2.0') };
  const hsms = Array.from({ length: options.hsmCount ?? 2 }, (_, i) => {
    const id = `${fleetId}-hsm${i + 1}`;
    const keys = [hsmKey(`${fleetId} ${i}`)];
    const measurement =
      options.badMeasurementFor === i ? hexOf('firmware image hsmfw 4.1.9 (unreleased)') : firmware.sha256;
    return {
      id,
      region: i % 2 === 0 ? 'eu-west-1' : 'us-east-2',
      keys,
      measurement,
      attestation: signAttestation(vendor, { hsmId: id, keys, measurement }),
    };
  });
  return {
    type: DEPLOYMENT_EVIDENCE_TYPE,
    fleetId,
    specVersion: 'fleetlog-hsm-profile 1.0',
    firmware,
    hsms,
    ceremony: {
      id: `${fleetId}-ceremony-1`,
      time: NOW - 30 * DAY,
      participants: ['Alice (key custodian)', 'Bob (external auditor)'],
      transcriptSha256: hexOf(`ceremony transcript ${fleetId}`),
    },
  };
}

export function keysetBodyFor(
  evidence: DeploymentEvidence,
  evidenceBytes: Uint8Array,
  version: number,
  window: { notBefore: number; notAfter: number } = { notBefore: NOW - DAY, notAfter: NOW + 90 * DAY },
): FleetKeysetBody {
  return {
    type: FLEET_KEYSET_TYPE,
    fleetId: evidence.fleetId,
    version,
    keys: evidence.hsms.map((h) => ({ hsmId: h.id, alg: h.keys[0]!.alg, publicKey: h.keys[0]!.publicKey })),
    notBefore: window.notBefore,
    notAfter: window.notAfter,
    evidence: toHex(leafHash(evidenceBytes)),
  };
}

export interface LoggedItem<T> {
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly value: T;
}

/**
 * The log of the vectors. Entries, in order:
 *   0 evidence fleet-a        1 keyset fleet-a v1       2 evidence fleet-b      3 keyset fleet-b v1
 *   4 keyset fleet-a v2       5 evidence fleet-c (an HSM reports the wrong firmware measurement)
 *   6 keyset fleet-c v1       7 keyset fleet-d v1 (logged BEFORE its evidence)  8 evidence fleet-d
 */
export interface World {
  readonly keys: WorldKeys;
  readonly policyText: string;
  readonly entries: readonly Uint8Array[];
  readonly store: MemoryHashStore;
  readonly evidence: Readonly<Record<'a' | 'b' | 'c' | 'd', LoggedItem<DeploymentEvidence>>>;
  readonly keysets: Readonly<Record<'a1' | 'a2' | 'b1' | 'c1' | 'd1', LoggedItem<FleetKeyset>>>;
  /** A signed checkpoint of the first `size` entries, cosigned by the given witnesses (indices). */
  checkpoint(size: number, cosigners?: readonly number[], options?: { logKey?: SignerKey; time?: number }): string;
  /** The offline bundle for a key set and its evidence at a checkpoint. */
  bundle(
    keyset: LoggedItem<FleetKeyset>,
    evidence: LoggedItem<DeploymentEvidence>,
    checkpoint: string,
    size: number,
  ): FleetBundle;
  inclusion(index: number, size: number): Hash[];
  consistency(oldSize: number, newSize: number): Hash[];
}

/** Cosignature time: one minute before NOW. */
export const COSIGN_TIME = NOW - 60;

export function buildWorld(): World {
  const keys = worldKeys();
  const entries: Uint8Array[] = [];
  const log = <T>(value: T, bytes: Uint8Array): LoggedItem<T> => {
    entries.push(bytes);
    return { index: entries.length - 1, bytes, value };
  };
  const logEvidence = (e: DeploymentEvidence): LoggedItem<DeploymentEvidence> => log(e, encodeEntry(e));
  const logKeyset = (body: FleetKeysetBody): LoggedItem<FleetKeyset> => {
    const k = signFleetKeyset(body, keys.publisher, keys.countersigner);
    return log(k, encodeEntry(k));
  };
  const evA = logEvidence(makeEvidence(keys.vendor, 'fleet-a'));
  const a1 = logKeyset(keysetBodyFor(evA.value, evA.bytes, 1, { notBefore: NOW - 60 * DAY, notAfter: NOW + 30 * DAY }));
  const evB = logEvidence(makeEvidence(keys.vendor, 'fleet-b', { hsmCount: 3 }));
  const b1 = logKeyset(keysetBodyFor(evB.value, evB.bytes, 1));
  const a2 = logKeyset(keysetBodyFor(evA.value, evA.bytes, 2));
  const evC = logEvidence(makeEvidence(keys.vendor, 'fleet-c', { badMeasurementFor: 1 }));
  const c1 = logKeyset(keysetBodyFor(evC.value, evC.bytes, 1));
  const evDValue = makeEvidence(keys.vendor, 'fleet-d');
  const evDBytes = encodeEntry(evDValue);
  const d1 = logKeyset(keysetBodyFor(evDValue, evDBytes, 1));
  const evD = log(evDValue, evDBytes);

  const store = new MemoryHashStore(entries.map(leafHash));
  const world: World = {
    keys,
    policyText: policyText(keys),
    entries,
    store,
    evidence: { a: evA, b: evB, c: evC, d: evD },
    keysets: { a1, a2, b1, c1, d1 },
    checkpoint(size, cosigners = [0, 1], options = {}) {
      const cp = { origin: ORIGIN, size, rootHash: store.root(size) };
      const signed = signCheckpoint(cp, [ed25519NoteSigner(options.logKey ?? keys.log)]);
      const text = signed.slice(0, signed.indexOf('\n\n') + 1);
      const lines = cosigners.map((i) =>
        cosignerFromKey(keys.witnesses[i]!).cosign(utf8(text), options.time ?? COSIGN_TIME),
      );
      return appendSignatureLines(signed, lines);
    },
    bundle(keyset, evidence, checkpoint, size) {
      return {
        keyset: { bytes: keyset.bytes, index: keyset.index, proof: inclusionProof(store, keyset.index, size) },
        evidence: { bytes: evidence.bytes, index: evidence.index, proof: inclusionProof(store, evidence.index, size) },
        checkpoint,
      };
    },
    inclusion: (index, size) => inclusionProof(store, index, size),
    consistency: (oldSize, newSize) => consistencyProof(store, oldSize, newSize),
  };
  return world;
}

export const b64 = (hashes: readonly Hash[]): string[] => hashes.map(toBase64);
