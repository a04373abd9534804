/**
 * entries.json: fleetlog's entry types in canonical bytes (RFC 8785), the exact messages the
 * fleet-keyset publisher and countersigner sign, and the deployment-evidence rules.
 */
import { toHex, utf8 } from '../../core/bytes.ts';
import { canonicalJson } from '../../core/entries/canonical-json.ts';
import { attestationMessage, type DeploymentEvidence } from '../../core/entries/deployment-evidence.ts';
import { encodeEntry } from '../../core/entries/entry.ts';
import {
  COUNTERSIGNER_CONTEXT,
  countersignerMessage,
  PUBLISHER_CONTEXT,
  publisherMessage,
  signFleetKeyset,
  type FleetKeyset,
} from '../../core/entries/fleet-keyset.ts';
import { makeSignatureRef } from '../../core/entries/signature-ref.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { KEY_TYPE_ED25519 } from '../../core/note/keys.ts';
import { buildWorld, fixedKey, keysetBodyFor, makeEvidence, type World } from './fixtures.ts';
import { vectorFile, type VectorFile } from './vector-file.ts';

export interface EntryVector {
  readonly kind: 'entry';
  readonly description: string;
  /** Entry bytes as UTF-8 text; `entryHex` instead when they are not UTF-8. */
  readonly entry?: string;
  readonly entryHex?: string;
  readonly valid: boolean;
  readonly error?: string;
  readonly type?: string;
  /** RFC 9162 leaf hash of the entry bytes, as key sets reference evidence. */
  readonly leafHash?: string;
}
export interface KeysetSignaturesVector {
  readonly kind: 'keyset-signatures';
  readonly description: string;
  readonly entry: string;
  readonly publisherKeys: readonly string[];
  readonly countersignerKeys: readonly string[];
  /** The messages the two signatures must cover, for this entry's body and publisher signature. */
  readonly publisherMessageHex: string;
  readonly countersignerMessageHex: string;
  readonly publisher: boolean;
  readonly countersigner: boolean;
}
export interface EvidenceVector {
  readonly kind: 'evidence';
  readonly description: string;
  readonly entry: string;
  readonly hsmVendorKeys: readonly string[];
  /** The message the vendor signs for the first HSM. */
  readonly firstAttestationMessageHex: string;
  readonly valid: boolean;
}
export interface KeysetEvidenceVector {
  readonly kind: 'keyset-evidence';
  readonly description: string;
  readonly keyset: string;
  readonly evidence: string;
  readonly valid: boolean;
}
export type EntriesVector = EntryVector | KeysetSignaturesVector | EvidenceVector | KeysetEvidenceVector;

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export function buildEntryVectors(world: World = buildWorld()): VectorFile<EntriesVector> {
  const { keys } = world;
  const v: EntriesVector[] = [];
  const evA = world.evidence.a;
  const a2 = world.keysets.a2;
  const ok = (description: string, bytes: Uint8Array, type: string): void => {
    v.push({ kind: 'entry', description, entry: text(bytes), valid: true, type, leafHash: toHex(leafHash(bytes)) });
  };
  const bad = (description: string, entry: string, error: string): void => {
    v.push({ kind: 'entry', description, entry, valid: false, error });
  };
  ok('deployment evidence for fleet-a (2 HSMs)', evA.bytes, 'fleetlog/deployment-evidence/v1');
  ok('deployment evidence for fleet-b (3 HSMs)', world.evidence.b.bytes, 'fleetlog/deployment-evidence/v1');
  ok('fleet key set fleet-a version 2', a2.bytes, 'fleetlog/fleet-keyset/v1');
  const canonical = text(a2.bytes);
  const obj = JSON.parse(canonical) as Record<string, unknown>;
  bad('pretty-printed', JSON.stringify(obj, null, 2), 'bad_entry');
  bad('a space after a colon', canonical.replace('"fleetId":', '"fleetId": '), 'bad_entry');
  bad('trailing newline', `${canonical}\n`, 'bad_entry');
  bad(
    'keys out of order ("version" first)',
    `{"version":${String(obj.version)},${canonical.slice(1).replace(`,"version":${String(obj.version)}`, '')}`,
    'bad_entry',
  );
  bad('a duplicate key (same value)', canonical.replace(/\}$/, ',"version":2}'), 'bad_entry');
  bad('an escaped ASCII character ("\\u0066leet-a")', canonical.replace('"fleet-a"', '"\\u0066leet-a"'), 'bad_entry');
  bad('a float for an integer (2.0)', canonical.replace('"version":2', '"version":2.0'), 'bad_entry');
  bad('canonical JSON but a fractional version (2.5)', canonicalJson({ ...obj, version: 2.5 }), 'bad_entry');
  bad('canonical JSON with an unknown field', canonicalJson({ ...obj, note: 'extra' }), 'bad_entry');
  bad('canonical JSON missing a field', canonicalJson({ ...obj, notAfter: undefined }), 'bad_entry');
  bad('notAfter not after notBefore', canonicalJson({ ...obj, notAfter: obj.notBefore }), 'bad_entry');
  bad(
    'uppercase hex in the evidence hash',
    canonicalJson({ ...obj, evidence: String(obj.evidence).toUpperCase() }),
    'bad_entry',
  );
  bad('unknown entry type', canonicalJson({ ...obj, type: 'fleetlog/fleet-keyset/v2' }), 'unknown_entry_type');
  bad('a JSON array', '[]', 'unknown_entry_type');
  bad(
    '65536 bytes (entries are at most 65535 bytes: uint16 lengths in entry bundles)',
    canonicalJson({
      type: 'fleetlog/fleet-keyset/v1',
      pad: 'x'.repeat(65536 - canonicalJson({ type: 'fleetlog/fleet-keyset/v1', pad: '' }).length),
    }),
    'too_large',
  );
  const notUtf8 = utf8(canonical);
  notUtf8[20] = 0xff;
  v.push({
    kind: 'entry',
    description: 'bytes that are not UTF-8',
    entryHex: toHex(notUtf8),
    valid: false,
    error: 'bad_encoding',
  });

  // Fleet key-set signatures.
  const ks = a2.value;
  const pins = { publisherKeys: [keys.publisher.vkey], countersignerKeys: [keys.countersigner.vkey] };
  const sig = (
    description: string,
    k: FleetKeyset,
    publisher: boolean,
    countersigner: boolean,
    pinned = pins,
  ): void => {
    v.push({
      kind: 'keyset-signatures',
      description,
      entry: text(encodeEntry(k)),
      ...pinned,
      publisherMessageHex: toHex(publisherMessage(k)),
      countersignerMessageHex: toHex(countersignerMessage(k, k.publisherSignature)),
      publisher,
      countersigner,
    });
  };
  sig('both signatures valid', ks, true, true);
  sig(
    'signatures swapped between the two fields',
    { ...ks, publisherSignature: ks.countersignature, countersignature: ks.publisherSignature },
    false,
    false,
  );
  sig(
    'swapped, even with both keys pinned for both roles (domain separation)',
    { ...ks, publisherSignature: ks.countersignature, countersignature: ks.publisherSignature },
    false,
    false,
    {
      publisherKeys: [keys.publisher.vkey, keys.countersigner.vkey],
      countersignerKeys: [keys.publisher.vkey, keys.countersigner.vkey],
    },
  );
  const body = publisherMessage(ks).subarray(utf8(PUBLISHER_CONTEXT).length);
  // Replacing the publisher signature also breaks the countersignature, which covers it.
  sig(
    'publisher signed the body without the domain string (the countersignature no longer matches either)',
    { ...ks, publisherSignature: makeSignatureRef(keys.publisher, body) },
    false,
    false,
  );
  sig(
    "publisher signed under the countersigner's domain string",
    {
      ...ks,
      publisherSignature: makeSignatureRef(keys.publisher, new Uint8Array([...utf8(COUNTERSIGNER_CONTEXT), ...body])),
    },
    false,
    false,
  );
  sig(
    'countersignature that does not cover the publisher signature',
    {
      ...ks,
      countersignature: makeSignatureRef(keys.countersigner, new Uint8Array([...utf8(COUNTERSIGNER_CONTEXT), ...body])),
    },
    true,
    false,
  );
  const v3 = signFleetKeyset({ ...ks, version: 3 }, keys.publisher, keys.countersigner);
  sig(
    'countersignature copied from version 3 of the same key set',
    { ...ks, countersignature: v3.countersignature },
    true,
    false,
  );
  sig('version changed after signing', { ...ks, version: 3 }, false, false);
  sig('publisher key not pinned', ks, false, true, {
    publisherKeys: [fixedKey('other-publisher.example', KEY_TYPE_ED25519).vkey],
    countersignerKeys: pins.countersignerKeys,
  });
  const impostor = fixedKey(keys.publisher.name, KEY_TYPE_ED25519, 'impostor publisher');
  sig(
    'publisher signature by another key that uses the pinned name',
    signFleetKeyset(ks, impostor, keys.countersigner),
    false,
    true,
  );

  // Deployment evidence rules.
  const ev = (description: string, e: DeploymentEvidence, valid: boolean, vendorKeys = [keys.vendor.vkey]): void => {
    const h = e.hsms[0]!;
    v.push({
      kind: 'evidence',
      description,
      entry: text(encodeEntry(e)),
      hsmVendorKeys: vendorKeys,
      firstAttestationMessageHex: toHex(attestationMessage({ hsmId: h.id, keys: h.keys, measurement: h.measurement })),
      valid,
    });
  };
  ev('every HSM attested by the pinned vendor over the released firmware', evA.value, true);
  ev('no HSM vendor key pinned', evA.value, false, []);
  ev("an HSM's measurement is not the firmware hash (attestation itself valid)", world.evidence.c.value, false);
  ev(
    'attested by an unpinned vendor',
    makeEvidence(fixedKey('rogue-vendor.example', KEY_TYPE_ED25519), 'fleet-a'),
    false,
  );
  ev('the same HSM listed twice', { ...evA.value, hsms: [evA.value.hsms[0]!, evA.value.hsms[0]!] }, false);
  ev(
    "an HSM's key replaced after attestation",
    {
      ...evA.value,
      hsms: [{ ...evA.value.hsms[0]!, keys: [{ alg: 'ed25519', publicKey: 'cd'.repeat(32) }] }, evA.value.hsms[1]!],
    },
    false,
  );

  const ke = (description: string, k: FleetKeyset, e: DeploymentEvidence, valid: boolean): void => {
    v.push({
      kind: 'keyset-evidence',
      description,
      keyset: text(encodeEntry(k)),
      evidence: text(encodeEntry(e)),
      valid,
    });
  };
  ke('key set keys are exactly the attested HSM keys', ks, evA.value, true);
  ke('key set for fleet-a checked against the evidence of fleet-b', ks, world.evidence.b.value, false);
  const extra = signFleetKeyset(
    {
      ...keysetBodyFor(evA.value, evA.bytes, 3),
      keys: [...ks.keys, { hsmId: 'fleet-a-hsm9', alg: 'ed25519', publicKey: 'ab'.repeat(32) }],
    },
    keys.publisher,
    keys.countersigner,
  );
  ke('a key for an HSM that is not in the evidence', extra, evA.value, false);
  const moved = signFleetKeyset(
    { ...keysetBodyFor(evA.value, evA.bytes, 3), keys: [{ ...ks.keys[0]!, publicKey: ks.keys[1]!.publicKey }] },
    keys.publisher,
    keys.countersigner,
  );
  ke("HSM 1 listed with HSM 2's key", moved, evA.value, false);
  return vectorFile(
    'entries',
    'fleetlog entries: canonical bytes (RFC 8785) of fleetlog/deployment-evidence/v1 and fleetlog/fleet-keyset/v1, the publisher and countersigner messages (with their domain strings), and the evidence rules. Keys: `keys` at the top.',
    v,
    { keys: { publisher: keys.publisher.vkey, countersigner: keys.countersigner.vkey, hsmVendor: keys.vendor.vkey } },
  );
}
