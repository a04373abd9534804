/**
 * A fleet key set on its way from the publisher to the countersigner: the file the two parties
 * hand each other. It is the key-set entry without its signatures (a draft), or with the
 * publisher's signature only (signed, ready for review). Written as canonical JSON so that what a
 * party reads is byte for byte what the other signed over (formats.md §6.2).
 *
 *   draftKeyset         body from the evidence, the chosen key algorithms, the window and version
 *   signAsPublisher     adds publisherSignature over the P-message
 *   countersignKeyset   adds the countersignature over the C-message: the complete entry
 *   parseKeysetDraft    strict reading of a draft or signed file (schema of §6.1, no countersignature)
 */
import { FleetlogError } from '../errors.ts';
import type { SignerKey } from '../note/keys.ts';
import { canonicalJsonBytes, type Json } from '../entries/canonical-json.ts';
import type { DeploymentEvidence } from '../entries/deployment-evidence.ts';
import { encodeEntry, entryLeafHashHex } from '../entries/entry.ts';
import {
  countersignerMessage,
  FLEET_KEYSET_TYPE,
  parseFleetKey,
  parseFleetKeyset,
  publisherMessage,
  type FleetKey,
  type FleetKeyset,
  type FleetKeysetBody,
} from '../entries/fleet-keyset.ts';
import { array, fail, hex, ID_PATTERN, object, string, uint } from '../entries/schema.ts';
import { makeSignatureRef, parseSignatureRef, type SignatureRef } from '../entries/signature-ref.ts';

export interface KeysetDraft {
  readonly body: FleetKeysetBody;
  /** Present once the publisher signed. */
  readonly publisherSignature?: SignatureRef;
}

export interface DraftOptions {
  readonly evidence: DeploymentEvidence;
  /** The exact evidence entry bytes; the key set references their leaf hash. */
  readonly evidenceBytes: Uint8Array;
  readonly version: number;
  /** Seconds since the epoch; valid for notBefore <= t < notAfter. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** Key algorithms to publish for every HSM; all keys of the evidence when absent. */
  readonly algs?: readonly string[];
}

/** The key set body: every key of every HSM in the evidence whose algorithm is chosen, in evidence order. */
export function draftKeyset(o: DraftOptions): KeysetDraft {
  const keys: FleetKey[] = o.evidence.hsms.flatMap((h) =>
    h.keys
      .filter((k) => o.algs === undefined || o.algs.includes(k.alg))
      .map((k) => ({ hsmId: h.id, alg: k.alg, publicKey: k.publicKey })),
  );
  if (keys.length === 0)
    throw new FleetlogError(
      'usage',
      `the evidence has no key with algorithm ${o.algs?.join(' or ')}; its HSMs hold ${[...new Set(o.evidence.hsms.flatMap((h) => h.keys.map((k) => k.alg)))].join(', ')}`,
    );
  if (!Number.isSafeInteger(o.version) || o.version < 1)
    throw new FleetlogError('usage', 'the key set version must be an integer of at least 1');
  if (!(o.notAfter > o.notBefore))
    throw new FleetlogError('usage', 'the validity window must end after it starts (notAfter > notBefore)');
  const body: FleetKeysetBody = {
    type: FLEET_KEYSET_TYPE,
    fleetId: o.evidence.fleetId,
    version: o.version,
    keys,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    evidence: entryLeafHashHex(o.evidenceBytes),
  };
  return { body: parseKeysetDraft(JSON.parse(formatKeysetDraft({ body })) as Json).body };
}

/** The publisher's signature (formats.md §6.2, P-message). Replaces an earlier one, if any. */
export function signAsPublisher(draft: KeysetDraft, key: SignerKey): KeysetDraft {
  return { body: draft.body, publisherSignature: makeSignatureRef(key, publisherMessage(draft.body)) };
}

/**
 * The countersignature (C-message, which embeds the publisher's signature): the complete key-set
 * entry. Does not check anything; callers run the review checks (countersign-checks.ts) first.
 */
export function countersignKeyset(draft: KeysetDraft, key: SignerKey): { keyset: FleetKeyset; bytes: Uint8Array } {
  const publisherSignature = draft.publisherSignature;
  if (!publisherSignature)
    throw new FleetlogError('usage', 'the key set has no publisher signature yet; run fleet sign first');
  const countersignature = makeSignatureRef(key, countersignerMessage(draft.body, publisherSignature));
  const bytes = encodeEntry({ ...draft.body, publisherSignature, countersignature });
  return { keyset: parseFleetKeyset(JSON.parse(new TextDecoder().decode(bytes)) as Json), bytes };
}

/** Canonical JSON of the draft (body fields, then publisherSignature when signed), with a final newline. */
export function formatKeysetDraft(draft: KeysetDraft): string {
  const value = draft.publisherSignature ? { ...draft.body, publisherSignature: draft.publisherSignature } : draft.body;
  return `${new TextDecoder().decode(canonicalJsonBytes(value))}\n`;
}

/**
 * Reads a draft or signed key set (any JSON formatting). Exactly the body fields of formats.md §6.1,
 * plus publisherSignature when signed; a complete entry (with countersignature) is refused here.
 */
export function parseKeysetDraft(value: Json): KeysetDraft {
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (isObject && 'countersignature' in value)
    throw new FleetlogError('bad_entry', 'this key set is already counter-signed: it is a complete entry, not a draft');
  const signed = isObject && 'publisherSignature' in value;
  const fields = ['evidence', 'fleetId', 'keys', 'notAfter', 'notBefore', 'type', 'version'];
  const o = object(value, '$', signed ? [...fields, 'publisherSignature'] : fields);
  if (o.type !== FLEET_KEYSET_TYPE) fail('$.type', `must be ${FLEET_KEYSET_TYPE}`);
  const notBefore = uint(o.notBefore, '$.notBefore');
  const notAfter = uint(o.notAfter, '$.notAfter');
  if (notAfter <= notBefore) fail('$.notAfter', 'must be later than notBefore');
  const body: FleetKeysetBody = {
    type: FLEET_KEYSET_TYPE,
    fleetId: string(o.fleetId, '$.fleetId', ID_PATTERN),
    version: uint(o.version, '$.version', 1),
    keys: array(o.keys, '$.keys', 1, 64).map((k, i) => parseFleetKey(k, `$.keys[${i}]`)),
    notBefore,
    notAfter,
    evidence: hex(o.evidence, '$.evidence', 32),
  };
  return signed
    ? { body, publisherSignature: parseSignatureRef(o.publisherSignature, '$.publisherSignature') }
    : { body };
}
