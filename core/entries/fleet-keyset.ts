/**
 * `fleetlog/fleet-keyset/v1`, the validation bundle: a fleet's public keys at a version, with a
 * validity window and a hash reference to its deployment evidence, signed by the publisher and
 * counter-signed by an independent party. The counter-signature also covers the publisher's
 * signature, so neither can be swapped. Byte format: specs/formats.md.
 *
 *   body     = canonical JSON of the entry without "publisherSignature" and "countersignature"
 *   publisher message     = "fleetlog/fleet-keyset/v1/publisher\n" || body
 *   countersigner message = "fleetlog/fleet-keyset/v1/countersigner\n" || publisher sig (64) || body
 */
import { concatBytes, fromHex, utf8 } from '../bytes.ts';
import type { PublicKeyInfo, SignerKey } from '../note/keys.ts';
import { canonicalJsonBytes, type Json } from './canonical-json.ts';
import { ALG_PATTERN } from './deployment-evidence.ts';
import type { DeploymentEvidence } from './deployment-evidence.ts';
import { array, fail, hex, hexVar, ID_PATTERN, object, string, uint } from './schema.ts';
import { makeSignatureRef, parseSignatureRef, verifySignatureRef, type SignatureRef } from './signature-ref.ts';

export const FLEET_KEYSET_TYPE = 'fleetlog/fleet-keyset/v1';
export const PUBLISHER_CONTEXT = 'fleetlog/fleet-keyset/v1/publisher\n';
export const COUNTERSIGNER_CONTEXT = 'fleetlog/fleet-keyset/v1/countersigner\n';

export interface FleetKey {
  readonly hsmId: string;
  readonly alg: string;
  readonly publicKey: string;
}

export interface FleetKeysetBody {
  readonly type: typeof FLEET_KEYSET_TYPE;
  readonly fleetId: string;
  /** Strictly increases within a fleet. */
  readonly version: number;
  readonly keys: readonly FleetKey[];
  /** Validity window, seconds since the epoch: valid for notBefore <= t < notAfter. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** RFC 9162 leaf hash of the deployment-evidence entry, lowercase hex. */
  readonly evidence: string;
}

export interface FleetKeyset extends FleetKeysetBody {
  readonly publisherSignature: SignatureRef;
  readonly countersignature: SignatureRef;
}

export function parseFleetKey(value: Json | undefined, path: string): FleetKey {
  const o = object(value, path, ['alg', 'hsmId', 'publicKey']);
  return {
    hsmId: string(o.hsmId, `${path}.hsmId`, ID_PATTERN),
    alg: string(o.alg, `${path}.alg`, ALG_PATTERN),
    publicKey: hexVar(o.publicKey, `${path}.publicKey`, 16, 2048),
  };
}

export function parseFleetKeyset(value: Json): FleetKeyset {
  const o = object(value, '$', [
    'countersignature',
    'evidence',
    'fleetId',
    'keys',
    'notAfter',
    'notBefore',
    'publisherSignature',
    'type',
    'version',
  ]);
  const notBefore = uint(o.notBefore, '$.notBefore');
  const notAfter = uint(o.notAfter, '$.notAfter');
  if (notAfter <= notBefore) fail('$.notAfter', 'must be later than notBefore');
  return {
    type: FLEET_KEYSET_TYPE,
    fleetId: string(o.fleetId, '$.fleetId', ID_PATTERN),
    version: uint(o.version, '$.version', 1),
    keys: array(o.keys, '$.keys', 1, 64).map((k, i) => parseFleetKey(k, `$.keys[${i}]`)),
    notBefore,
    notAfter,
    evidence: hex(o.evidence, '$.evidence', 32),
    publisherSignature: parseSignatureRef(o.publisherSignature, '$.publisherSignature'),
    countersignature: parseSignatureRef(o.countersignature, '$.countersignature'),
  };
}

function keysetBody(k: FleetKeysetBody): FleetKeysetBody {
  return {
    type: k.type,
    fleetId: k.fleetId,
    version: k.version,
    keys: k.keys,
    notBefore: k.notBefore,
    notAfter: k.notAfter,
    evidence: k.evidence,
  };
}

// The message builders take the body's canonical bytes, so that signing and checking both
// signatures canonicalize the body once.
const bodyBytes = (body: FleetKeysetBody): Uint8Array => canonicalJsonBytes(keysetBody(body));
const publisherMessageOf = (body: Uint8Array): Uint8Array => concatBytes(utf8(PUBLISHER_CONTEXT), body);
const countersignerMessageOf = (body: Uint8Array, publisherSignature: SignatureRef): Uint8Array =>
  concatBytes(utf8(COUNTERSIGNER_CONTEXT), fromHex(publisherSignature.signature, 64), body);

export function publisherMessage(body: FleetKeysetBody): Uint8Array {
  return publisherMessageOf(bodyBytes(body));
}

export function countersignerMessage(body: FleetKeysetBody, publisherSignature: SignatureRef): Uint8Array {
  return countersignerMessageOf(bodyBytes(body), publisherSignature);
}

/** Publisher signs, then the independent party counter-signs. Returns the complete entry object. */
export function signFleetKeyset(body: FleetKeysetBody, publisher: SignerKey, countersigner: SignerKey): FleetKeyset {
  const bytes = bodyBytes(body);
  const publisherSignature = makeSignatureRef(publisher, publisherMessageOf(bytes));
  const countersignature = makeSignatureRef(countersigner, countersignerMessageOf(bytes, publisherSignature));
  return { ...keysetBody(body), publisherSignature, countersignature };
}

export interface KeysetSignatureCheck {
  readonly publisher: boolean;
  readonly countersigner: boolean;
}

/** Checks both signatures against the pinned publisher and countersigner keys (audit step 1). */
export function checkKeysetSignatures(
  k: FleetKeyset,
  publishers: readonly PublicKeyInfo[],
  countersigners: readonly PublicKeyInfo[],
): KeysetSignatureCheck {
  const bytes = bodyBytes(k);
  return {
    publisher: verifySignatureRef(k.publisherSignature, publishers, publisherMessageOf(bytes)),
    countersigner: verifySignatureRef(
      k.countersignature,
      countersigners,
      countersignerMessageOf(bytes, k.publisherSignature),
    ),
  };
}

/** Every key in the key set must be one that its HSM's vendor attestation covers (audit step 6c). */
export function keysetEvidenceProblems(
  k: Pick<FleetKeysetBody, 'fleetId' | 'keys'>,
  evidence: DeploymentEvidence,
): string[] {
  const problems: string[] = [];
  if (k.fleetId !== evidence.fleetId)
    problems.push(`key set is for fleet ${k.fleetId} but its evidence is for fleet ${evidence.fleetId}`);
  for (const key of k.keys) {
    const hsm = evidence.hsms.find((h) => h.id === key.hsmId);
    if (!hsm) problems.push(`key for HSM ${key.hsmId} names an HSM that is not in the deployment evidence`);
    else if (!hsm.keys.some((x) => x.alg === key.alg && x.publicKey === key.publicKey))
      problems.push(`${key.alg} key for HSM ${key.hsmId} is not among the keys its attestation covers`);
  }
  return problems;
}
