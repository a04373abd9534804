/**
 * `fleetlog/deployment-evidence/v1`: the record of one new HSM fleet's deployment: which HSMs (id,
 * region, keys), each attested by its vendor over its keys and firmware measurement, the firmware
 * release and hash, the key ceremony, and the spec version the deployment claims to satisfy.
 * Byte format and rules: specs/formats.md.
 */
import { concatBytes, utf8 } from '../bytes.ts';
import type { PublicKeyInfo, SignerKey } from '../note/keys.ts';
import { canonicalJsonBytes, type Json } from './canonical-json.ts';
import { array, hex, hexVar, ID_PATTERN, LABEL_PATTERN, object, string, uint } from './schema.ts';
import { makeSignatureRef, parseSignatureRef, verifySignatureRef, type SignatureRef } from './signature-ref.ts';

export const DEPLOYMENT_EVIDENCE_TYPE = 'fleetlog/deployment-evidence/v1';
export const ATTESTATION_CONTEXT = 'fleetlog/hsm-attestation/v1\n';

export interface HsmKey {
  /** Algorithm label, e.g. "opaque-ristretto255" or "ed25519". */
  readonly alg: string;
  readonly publicKey: string;
}

export interface AttestationStatement {
  readonly hsmId: string;
  readonly keys: readonly HsmKey[];
  readonly measurement: string;
}

export interface HsmRecord {
  readonly id: string;
  readonly region: string;
  readonly keys: readonly HsmKey[];
  /** SHA-256 firmware measurement reported by the HSM, lowercase hex. */
  readonly measurement: string;
  /** The vendor's signature over the attestation statement. */
  readonly attestation: SignatureRef;
}

export interface CeremonyRecord {
  readonly id: string;
  /** Seconds since the epoch. */
  readonly time: number;
  /** Names of the people or parties who attended. */
  readonly participants: readonly string[];
  /** SHA-256 of the full ceremony transcript, published elsewhere. */
  readonly transcriptSha256: string;
}

export interface DeploymentEvidence {
  readonly type: typeof DEPLOYMENT_EVIDENCE_TYPE;
  readonly fleetId: string;
  readonly specVersion: string;
  readonly firmware: { readonly release: string; readonly sha256: string };
  readonly hsms: readonly HsmRecord[];
  readonly ceremony: CeremonyRecord;
}

export const ALG_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

export function parseHsmKey(value: Json | undefined, path: string): HsmKey {
  const o = object(value, path, ['alg', 'publicKey']);
  return {
    alg: string(o.alg, `${path}.alg`, ALG_PATTERN),
    publicKey: hexVar(o.publicKey, `${path}.publicKey`, 16, 2048),
  };
}

/** Validates the shape of a deployment-evidence object (already canonical JSON). */
export function parseDeploymentEvidence(value: Json): DeploymentEvidence {
  const o = object(value, '$', ['ceremony', 'firmware', 'fleetId', 'hsms', 'specVersion', 'type']);
  const firmware = object(o.firmware, '$.firmware', ['release', 'sha256']);
  const ceremony = object(o.ceremony, '$.ceremony', ['id', 'participants', 'time', 'transcriptSha256']);
  const hsms = array(o.hsms, '$.hsms', 1, 64).map((h, i): HsmRecord => {
    const p = `$.hsms[${i}]`;
    const hsm = object(h, p, ['attestation', 'id', 'keys', 'measurement', 'region']);
    return {
      id: string(hsm.id, `${p}.id`, ID_PATTERN),
      region: string(hsm.region, `${p}.region`, ID_PATTERN),
      keys: array(hsm.keys, `${p}.keys`, 1, 8).map((k, j) => parseHsmKey(k, `${p}.keys[${j}]`)),
      measurement: hex(hsm.measurement, `${p}.measurement`, 32),
      attestation: parseSignatureRef(hsm.attestation, `${p}.attestation`),
    };
  });
  return {
    type: DEPLOYMENT_EVIDENCE_TYPE,
    fleetId: string(o.fleetId, '$.fleetId', ID_PATTERN),
    specVersion: string(o.specVersion, '$.specVersion', LABEL_PATTERN),
    firmware: {
      release: string(firmware.release, '$.firmware.release', LABEL_PATTERN),
      sha256: hex(firmware.sha256, '$.firmware.sha256', 32),
    },
    hsms,
    ceremony: {
      id: string(ceremony.id, '$.ceremony.id', ID_PATTERN),
      time: uint(ceremony.time, '$.ceremony.time'),
      participants: array(ceremony.participants, '$.ceremony.participants', 0, 32).map((x, i) =>
        string(x, `$.ceremony.participants[${i}]`, LABEL_PATTERN),
      ),
      transcriptSha256: hex(ceremony.transcriptSha256, '$.ceremony.transcriptSha256', 32),
    },
  };
}

/** The bytes an HSM vendor signs: context string, then the canonical JSON statement. */
export function attestationMessage(statement: AttestationStatement): Uint8Array {
  return concatBytes(
    utf8(ATTESTATION_CONTEXT),
    canonicalJsonBytes({ hsmId: statement.hsmId, keys: statement.keys, measurement: statement.measurement }),
  );
}

export function signAttestation(vendor: SignerKey, statement: AttestationStatement): SignatureRef {
  return makeSignatureRef(vendor, attestationMessage(statement));
}

/**
 * The evidence rules (audit step 6b), as a list of problems (empty = the evidence verifies):
 * unique HSM ids, each measurement equals the firmware hash, each attestation verifies under a
 * pinned HSM vendor key.
 */
export function evidenceProblems(evidence: DeploymentEvidence, hsmVendors: readonly PublicKeyInfo[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  if (hsmVendors.length === 0) problems.push('the policy pins no HSM vendor key, so no attestation can be checked');
  for (const hsm of evidence.hsms) {
    if (ids.has(hsm.id)) problems.push(`HSM id ${hsm.id} appears twice`);
    ids.add(hsm.id);
    if (hsm.measurement !== evidence.firmware.sha256)
      problems.push(
        `HSM ${hsm.id} reports firmware measurement ${hsm.measurement.slice(0, 16)}…, not the released firmware's hash`,
      );
    const message = attestationMessage({ hsmId: hsm.id, keys: hsm.keys, measurement: hsm.measurement });
    if (!verifySignatureRef(hsm.attestation, hsmVendors, message))
      problems.push(`HSM ${hsm.id}'s attestation is not a valid signature by a pinned HSM vendor key`);
  }
  return problems;
}
