/**
 * The deployment ceremony: turn a set of manufactured HSMs into a fleet and produce what the log
 * publishes about it.
 *
 *   1. every HSM describes itself; its vendor attestation and firmware measurement are checked;
 *   2. the first HSM creates the fleet secrets inside itself (OPAQUE server setup, vault key) and
 *      seals them to each other HSM, which checks the sender's attestation before importing;
 *   3. each HSM reports its fleet keys under a fresh vendor attestation -> deployment evidence;
 *   4. the publisher drafts and signs the fleet key set; the independent countersigner re-checks
 *      the evidence and the key set against it, then counter-signs (publisher/index.ts, the same
 *      functions as `fleetlog fleet draft|sign|countersign`).
 * Works the same on in-process HSMs and on HSMs behind HTTP (CeremonyHsm).
 */
import { toHex, utf8 } from '../core/bytes.ts';
import { sha256 } from '../core/crypto/sha256.ts';
import {
  DEPLOYMENT_EVIDENCE_TYPE,
  attestationMessage,
  evidenceProblems,
  type DeploymentEvidence,
  type HsmRecord,
} from '../core/entries/deployment-evidence.ts';
import { encodeEntry } from '../core/entries/entry.ts';
import type { FleetKey, FleetKeyset } from '../core/entries/fleet-keyset.ts';
import { parsePolicy } from '../core/policy/policy.ts';
import { countersignKeyset, draftKeyset, publishChecks, signAsPublisher } from '../publisher/index.ts';
import { verifySignatureRef } from '../core/entries/signature-ref.ts';
import { FleetlogError } from '../core/errors.ts';
import { parseVerifierKey, type SignerKey } from '../core/note/keys.ts';
import { ALG_IDENTITY, ALG_OPAQUE, deviceKeys, type DeviceDescription, type SealedFleetSecrets } from './hsm/device.ts';
import { measure, type FirmwareImage } from './hsm/firmware.ts';
import { randomId } from './hsm/crypto.ts';

export const SPEC_VERSION = 'fleetlog-spec/1';

/** What a ceremony needs from an HSM (an in-process Hsm, or an HTTP admin client). */
export interface CeremonyHsm {
  describe(): DeviceDescription | Promise<DeviceDescription>;
  createFleet(fleetId: string): Promise<void>;
  exportFleetSecrets(peer: DeviceDescription): SealedFleetSecrets | Promise<SealedFleetSecrets>;
  importFleetSecrets(sealed: SealedFleetSecrets, sender: DeviceDescription): Promise<void>;
  fleetRecord(): HsmRecord | Promise<HsmRecord>;
}

export interface CeremonyOptions {
  readonly fleetId: string;
  readonly hsms: readonly CeremonyHsm[];
  readonly firmware: FirmwareImage;
  /** HSM vendor roots (vkeys) the ceremony accepts; the same ones the policy pins. */
  readonly vendorKeys: readonly string[];
  /** Seconds since the epoch. */
  readonly now: number;
}

export interface CeremonyResult {
  readonly evidence: DeploymentEvidence;
  readonly evidenceBytes: Uint8Array;
  readonly transcript: readonly string[];
  /** The fleet's OPAQUE server static public key (hex). */
  readonly opaquePublicKey: string;
}

export async function runCeremony(o: CeremonyOptions): Promise<CeremonyResult> {
  if (o.hsms.length === 0) throw new FleetlogError('usage', 'a ceremony needs at least one HSM');
  const vendors = o.vendorKeys.map((v) => parseVerifierKey(v));
  const firmwareHash = measure(o.firmware);
  const transcript: string[] = [
    `ceremony for fleet ${o.fleetId} at ${o.now}`,
    `firmware ${o.firmware.release} sha256 ${firmwareHash}`,
  ];

  const devices = await Promise.all(o.hsms.map((h) => h.describe()));
  for (const d of devices) {
    if (
      !verifySignatureRef(
        d.attestation,
        vendors,
        attestationMessage({
          hsmId: d.hsmId,
          keys: deviceKeys(d.identityKey, d.transportKey),
          measurement: d.measurement,
        }),
      )
    ) {
      throw new FleetlogError('forbidden', `${d.hsmId}: device attestation does not verify under a pinned vendor key`);
    }
    if (d.measurement !== firmwareHash)
      throw new FleetlogError('forbidden', `${d.hsmId}: firmware measurement is not the released firmware's hash`);
    transcript.push(`device ${d.hsmId} region ${d.region} identity ${d.identityKey} attested by ${d.attestation.name}`);
  }

  const [first, ...rest] = o.hsms;
  const firstDevice = devices[0]!;
  await first!.createFleet(o.fleetId);
  transcript.push(`${firstDevice.hsmId} created the fleet secrets`);
  for (let i = 0; i < rest.length; i++) {
    const device = devices[i + 1]!;
    const sealed = await first!.exportFleetSecrets(device);
    await rest[i]!.importFleetSecrets(sealed, firstDevice);
    transcript.push(
      `${firstDevice.hsmId} sealed the fleet secrets to ${device.hsmId} (ephemeral ${sealed.ephemeralKey.slice(0, 16)}…)`,
    );
  }

  const records = await Promise.all(o.hsms.map((h) => h.fleetRecord()));
  const opaqueKeys = new Set(records.map((r) => r.keys.find((k) => k.alg === ALG_OPAQUE)?.publicKey));
  if (opaqueKeys.size !== 1 || opaqueKeys.has(undefined))
    throw new FleetlogError('internal', 'the HSMs do not agree on the fleet OPAQUE key');
  const opaquePublicKey = [...opaqueKeys][0]!;
  transcript.push(`fleet OPAQUE server key ${opaquePublicKey}`);

  const evidence: DeploymentEvidence = {
    type: DEPLOYMENT_EVIDENCE_TYPE,
    fleetId: o.fleetId,
    specVersion: SPEC_VERSION,
    firmware: { release: o.firmware.release, sha256: firmwareHash },
    hsms: records,
    ceremony: {
      id: `${o.fleetId}-ceremony-${randomId(4)}`,
      time: o.now,
      participants: ['operator', 'independent-auditor'],
      transcriptSha256: toHex(sha256(utf8(transcript.join('\n')))),
    },
  };
  const problems = evidenceProblems(evidence, vendors);
  if (problems.length > 0)
    throw new FleetlogError('internal', `the ceremony produced evidence that does not verify: ${problems.join('; ')}`);
  return { evidence, evidenceBytes: encodeEntry(evidence), transcript, opaquePublicKey };
}

/** The key algorithms a simulated fleet publishes: each HSM's identity key and the fleet's OPAQUE key. */
export const FLEET_KEY_ALGS: readonly string[] = [ALG_IDENTITY, ALG_OPAQUE];

/** The fleet keys a key set lists: each HSM's identity key and the fleet's OPAQUE key. */
export function fleetKeysFromEvidence(evidence: DeploymentEvidence): FleetKey[] {
  return [
    ...draftKeyset({
      evidence,
      evidenceBytes: encodeEntry(evidence),
      version: 1,
      notBefore: 0,
      notAfter: 1,
      algs: FLEET_KEY_ALGS,
    }).body.keys,
  ];
}

export interface KeysetOptions {
  readonly evidence: DeploymentEvidence;
  readonly evidenceBytes: Uint8Array;
  readonly version: number;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly publisher: SignerKey;
  readonly countersigner: SignerKey;
  /** The countersigner's own pinned vendor keys: it re-checks the evidence independently. */
  readonly vendorKeys: readonly string[];
  /** Seconds since the epoch: the countersigner refuses a window that has already ended. */
  readonly now: number;
}

export interface KeysetResult {
  readonly keyset: FleetKeyset;
  readonly keysetBytes: Uint8Array;
}

/**
 * The publisher drafts and signs, then the independent countersigner runs its review checks and
 * counter-signs: the same library functions as `fleetlog fleet draft|sign|countersign`
 * (publisher/index.ts). Without a log there is no earlier version to compare with here; the
 * submission (publisher submitKeyset) checks the version against the log.
 */
export function signKeyset(o: KeysetOptions): KeysetResult {
  const draft = draftKeyset({
    evidence: o.evidence,
    evidenceBytes: o.evidenceBytes,
    version: o.version,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    algs: FLEET_KEY_ALGS,
  });
  const signed = signAsPublisher(draft, o.publisher);
  // What the countersigner pins: the publisher it expects, itself, and the vendors it accepts.
  const pinned = parsePolicy(
    [
      'quorum none',
      `fleetlog publisher ${o.publisher.vkey}`,
      `fleetlog countersigner ${o.countersigner.vkey}`,
      ...o.vendorKeys.map((v) => `fleetlog hsm-vendor ${v}`),
    ].join('\n'),
  );
  const failed = publishChecks(signed, {
    policy: pinned,
    evidence: o.evidence,
    evidenceBytes: o.evidenceBytes,
    now: o.now,
  }).filter((c) => !c.ok);
  if (failed.length > 0)
    throw new FleetlogError(
      'entry_rejected',
      `the countersigner refuses: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`,
    );
  const { keyset, bytes } = countersignKeyset(signed, o.countersigner);
  return { keyset, keysetBytes: bytes };
}

/** The ceremony, then key set version 1 (or `version`) over its evidence, valid from a minute before `now` for `validitySeconds`. */
export async function ceremonyWithKeyset(
  o: CeremonyOptions & { publisher: SignerKey; countersigner: SignerKey; validitySeconds: number; version?: number },
): Promise<{ ceremony: CeremonyResult; keyset: KeysetResult }> {
  const ceremony = await runCeremony(o);
  const keyset = signKeyset({
    evidence: ceremony.evidence,
    evidenceBytes: ceremony.evidenceBytes,
    version: o.version ?? 1,
    notBefore: o.now - 60,
    notAfter: o.now + o.validitySeconds,
    publisher: o.publisher,
    countersigner: o.countersigner,
    vendorKeys: o.vendorKeys,
    now: o.now,
  });
  return { ceremony, keyset };
}
