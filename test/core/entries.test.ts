// fleetlog entries (core/entries): canonical bytes only, strict schemas, the fleet-keyset signatures
// with domain separation, and the deployment-evidence rules.
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../../core/bytes.ts';
import { sha256 } from '../../core/crypto/sha256.ts';
import { canonicalJson, parseCanonicalJson } from '../../core/entries/canonical-json.ts';
import {
  attestationMessage,
  ATTESTATION_CONTEXT,
  evidenceProblems,
  type DeploymentEvidence,
} from '../../core/entries/deployment-evidence.ts';
import { decodeEntry, encodeEntry, entryLeafHashHex } from '../../core/entries/entry.ts';
import {
  checkKeysetSignatures,
  COUNTERSIGNER_CONTEXT,
  countersignerMessage,
  keysetEvidenceProblems,
  PUBLISHER_CONTEXT,
  publisherMessage,
  signFleetKeyset,
  type FleetKeyset,
} from '../../core/entries/fleet-keyset.ts';
import { makeSignatureRef } from '../../core/entries/signature-ref.ts';
import { MAX_ENTRY_BYTES } from '../../core/entry-bundle.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { KEY_TYPE_ED25519, parseVerifierKey } from '../../core/note/keys.ts';
import { buildWorld, fixedKey, keysetBodyFor, makeEvidence } from '../../specs/vectors/fixtures.ts';
import { codeOf } from '../support/error-code.ts';

const world = buildWorld();
const { keys } = world;
const evidence = world.evidence.a;
const keyset = world.keysets.a2;
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const pinned = {
  publishers: [parseVerifierKey(keys.publisher.vkey)],
  countersigners: [parseVerifierKey(keys.countersigner.vkey)],
  vendors: [parseVerifierKey(keys.vendor.vkey)],
};

describe('canonical JSON (RFC 8785)', () => {
  it('accepts exactly the canonical bytes', () => {
    expect(parseCanonicalJson(utf8('{"a":1,"b":[true,null,"x"]}'))).toEqual({ a: 1, b: [true, null, 'x'] });
    expect(parseCanonicalJson(utf8('{"a":"\u00e9\u2014"}'))).toEqual({ a: '\u00e9\u2014' });
    expect(canonicalJson({ b: 1, a: [1.5, 'x'] })).toBe('{"a":[1.5,"x"],"b":1}');
  });

  it.each([
    ['space after a colon', '{"a": 1}'],
    ['space after a comma', '{"a":1, "b":2}'],
    ['pretty-printed', '{\n  "a": 1\n}'],
    ['trailing newline', '{"a":1}\n'],
    ['leading BOM', '\ufeff{"a":1}'],
    ['keys out of order', '{"b":1,"a":2}'],
    ['duplicate keys', '{"a":1,"a":1}'],
    ['duplicate keys, different values', '{"a":1,"a":2}'],
    ['escaped ASCII letter', '{"a":"\\u0061"}'],
    ['escaped non-ASCII letter', '{"a":"\\u00e9"}'],
    ['escaped solidus', '{"a":"\\/"}'],
    ['uppercase unicode escape of a control', '{"a":"\\u001F"}'],
    ['float with a trailing zero', '{"a":1.0}'],
    ['exponent form', '{"a":1e3}'],
    ['negative zero', '{"a":-0}'],
    ['integer beyond 2^53', '{"a":9007199254740993}'],
    ['leading zero', '{"a":01}'],
    ['not JSON', '{a:1}'],
    ['single quotes', "{'a':1}"],
  ])('rejects %s', (_, json) => {
    expect(codeOf(() => parseCanonicalJson(utf8(json)))).toBe('bad_entry');
  });

  it('rejects an escaped lone surrogate (not valid I-JSON, no canonical form)', () => {
    expect(codeOf(() => parseCanonicalJson(utf8('{"a":"\\ud800"}')))).toBe('bad_entry');
  });

  it('rejects invalid UTF-8 and oversize input before parsing', () => {
    expect(codeOf(() => parseCanonicalJson(Uint8Array.of(0x22, 0xff, 0x22)))).toBe('bad_encoding');
    expect(codeOf(() => parseCanonicalJson(utf8(`"${'x'.repeat(MAX_ENTRY_BYTES)}"`)))).toBe('too_large');
  });
});

describe('entry decoding', () => {
  it('decodes both entry types from their canonical bytes, never re-encoding', () => {
    const ev = decodeEntry(evidence.bytes);
    expect(ev.type).toBe('fleetlog/deployment-evidence/v1');
    expect(toHex(encodeEntry(ev))).toBe(toHex(evidence.bytes));
    const ks = decodeEntry(keyset.bytes) as FleetKeyset;
    expect(ks.version).toBe(2);
    expect(toHex(encodeEntry(ks))).toBe(toHex(keyset.bytes));
    expect(entryLeafHashHex(evidence.bytes)).toBe(toHex(leafHash(evidence.bytes)));
    expect(ks.evidence).toBe(entryLeafHashHex(evidence.bytes));
  });

  it('rejects non-canonical forms of a valid entry', () => {
    const canonical = text(keyset.bytes);
    const variants = [
      JSON.stringify(JSON.parse(canonical), null, 2),
      canonical.replace('"fleetId":', '"fleetId" :'),
      canonical.replace('"type":', '"\\u0074ype":'), // escaped key
      `{"version":2,${canonical.slice(1).replace(',"version":2', '')}`, // key order
      canonical.replace('"version":2', '"version":2.0'),
      canonical.replace('"fleet-a"', '"\\u0066leet-a"'),
      canonical.replace('}', ',"fleetId":"fleet-a"}'), // duplicate key
      `${canonical} `,
    ];
    for (const v of variants)
      expect(
        codeOf(() => decodeEntry(utf8(v))),
        v.slice(0, 60),
      ).toBe('bad_entry');
  });

  const obj = JSON.parse(text(keyset.bytes)) as Record<string, unknown>;
  const reencode = (o: unknown): Uint8Array => utf8(canonicalJson(o));
  it.each([
    ['unknown top-level field', { ...obj, comment: 'hi' }, 'bad_entry'],
    ['missing field', (({ notAfter: _n, ...rest }) => rest)(obj), 'bad_entry'],
    ['fractional version', { ...obj, version: 2.5 }, 'bad_entry'],
    ['version 0', { ...obj, version: 0 }, 'bad_entry'],
    ['negative notBefore', { ...obj, notBefore: -1 }, 'bad_entry'],
    ['version as a string', { ...obj, version: '2' }, 'bad_entry'],
    ['notAfter equal to notBefore', { ...obj, notAfter: obj.notBefore }, 'bad_entry'],
    ['uppercase hex evidence hash', { ...obj, evidence: String(obj.evidence).toUpperCase() }, 'bad_entry'],
    ['short evidence hash', { ...obj, evidence: String(obj.evidence).slice(2) }, 'bad_entry'],
    ['no keys', { ...obj, keys: [] }, 'bad_entry'],
    ['fleet id with uppercase', { ...obj, fleetId: 'Fleet-A' }, 'bad_entry'],
    [
      'signature ref with an extra field',
      { ...obj, publisherSignature: { ...(obj.publisherSignature as object), alg: 'ed25519' } },
      'bad_entry',
    ],
    [
      'key ID of 7 hex digits',
      { ...obj, publisherSignature: { ...(obj.publisherSignature as object), keyId: '1234567' } },
      'bad_entry',
    ],
    ['unknown entry type', { ...obj, type: 'fleetlog/fleet-keyset/v2' }, 'unknown_entry_type'],
    ['no type', (({ type: _t, ...rest }) => rest)(obj), 'unknown_entry_type'],
  ])('rejects a key set with %s', (_, value, code) => {
    expect(codeOf(() => decodeEntry(reencode(value)))).toBe(code);
  });

  it.each([
    ['an array', '[]'],
    ['a string', '"fleetlog/fleet-keyset/v1"'],
    ['null', 'null'],
  ])('rejects %s as an entry', (_, json) => {
    expect(codeOf(() => decodeEntry(utf8(json)))).toBe('unknown_entry_type');
  });

  it('evidence schema: HSM ids, regions, key sizes, measurements', () => {
    const ev = JSON.parse(text(evidence.bytes)) as { hsms: Array<Record<string, unknown>> } & Record<string, unknown>;
    const hsm0 = ev.hsms[0]!;
    const bad = [
      { ...ev, hsms: [] },
      { ...ev, hsms: [{ ...hsm0, region: 'EU WEST' }] },
      { ...ev, hsms: [{ ...hsm0, measurement: 'ab' }] },
      { ...ev, hsms: [{ ...hsm0, keys: [{ alg: 'ed25519', publicKey: 'abcd' }] }] },
      {
        ...ev,
        hsms: [
          { ...hsm0, keys: [{ alg: 'Ed25519', publicKey: (hsm0.keys as Array<{ publicKey: string }>)[0]!.publicKey }] },
        ],
      },
      { ...ev, specVersion: 'line\nbreak' },
      { ...ev, ceremony: { ...(ev.ceremony as object), time: 1.5 } },
    ];
    for (const v of bad) expect(codeOf(() => decodeEntry(reencode(v)))).toBe('bad_entry');
  });

  it('refuses to encode an entry above 64 KiB', () => {
    const big = makeEvidence(keys.vendor, 'fleet-big', { hsmCount: 64 });
    const huge: DeploymentEvidence = {
      ...big,
      hsms: big.hsms.map((h) => ({
        ...h,
        keys: Array.from({ length: 8 }, () => ({ alg: 'rsa-4096', publicKey: 'ab'.repeat(512) })),
      })),
    };
    expect(codeOf(() => encodeEntry(huge))).toBe('too_large');
  });
});

describe('fleet-keyset signatures', () => {
  const ks = keyset.value;

  it('sign exactly the documented messages', () => {
    const body = canonicalJson({
      type: ks.type,
      fleetId: ks.fleetId,
      version: ks.version,
      keys: ks.keys,
      notBefore: ks.notBefore,
      notAfter: ks.notAfter,
      evidence: ks.evidence,
    });
    expect(text(publisherMessage(ks))).toBe(`${PUBLISHER_CONTEXT}${body}`);
    expect(toHex(countersignerMessage(ks, ks.publisherSignature))).toBe(
      toHex(concatBytes(utf8(COUNTERSIGNER_CONTEXT), fromHex(ks.publisherSignature.signature), utf8(body))),
    );
    expect(PUBLISHER_CONTEXT).toBe('fleetlog/fleet-keyset/v1/publisher\n');
    expect(COUNTERSIGNER_CONTEXT).toBe('fleetlog/fleet-keyset/v1/countersigner\n');
    expect(checkKeysetSignatures(ks, pinned.publishers, pinned.countersigners)).toEqual({
      publisher: true,
      countersigner: true,
    });
  });

  it('fail when swapped', () => {
    const swapped = { ...ks, publisherSignature: ks.countersignature, countersignature: ks.publisherSignature };
    expect(checkKeysetSignatures(swapped, pinned.publishers, pinned.countersigners)).toEqual({
      publisher: false,
      countersigner: false,
    });
    // Even if both roles pinned both keys, the domain strings keep the roles apart.
    const both = [...pinned.publishers, ...pinned.countersigners];
    expect(checkKeysetSignatures(swapped, both, both)).toEqual({ publisher: false, countersigner: false });
  });

  it('fail under the wrong domain string', () => {
    const body = publisherMessage(ks).subarray(utf8(PUBLISHER_CONTEXT).length);
    const noDomain = makeSignatureRef(keys.publisher, body);
    const wrongDomain = makeSignatureRef(keys.publisher, concatBytes(utf8(COUNTERSIGNER_CONTEXT), body));
    for (const sig of [noDomain, wrongDomain]) {
      expect(
        checkKeysetSignatures({ ...ks, publisherSignature: sig }, pinned.publishers, pinned.countersigners).publisher,
      ).toBe(false);
    }
    // A countersignature that omits the publisher signature from its message.
    const shortCounter = makeSignatureRef(keys.countersigner, concatBytes(utf8(COUNTERSIGNER_CONTEXT), body));
    expect(
      checkKeysetSignatures({ ...ks, countersignature: shortCounter }, pinned.publishers, pinned.countersigners)
        .countersigner,
    ).toBe(false);
  });

  it('fail when any body field changes after signing', () => {
    for (const edit of [
      { version: 3 },
      { notAfter: ks.notAfter + 1 },
      { fleetId: 'fleet-b' },
      { evidence: '00'.repeat(32) },
      { keys: ks.keys.slice(1) },
    ]) {
      expect(checkKeysetSignatures({ ...ks, ...edit }, pinned.publishers, pinned.countersigners)).toEqual({
        publisher: false,
        countersigner: false,
      });
    }
  });

  it('fail for unpinned keys, name/key-ID mismatches, and a new publisher signature under an old countersignature', () => {
    const impostor = fixedKey(keys.publisher.name, KEY_TYPE_ED25519, 'impostor');
    const byImpostor = signFleetKeyset(ks, impostor, keys.countersigner);
    expect(checkKeysetSignatures(byImpostor, pinned.publishers, pinned.countersigners)).toEqual({
      publisher: false,
      countersigner: true,
    });
    expect(
      checkKeysetSignatures(
        { ...ks, publisherSignature: { ...ks.publisherSignature, name: 'someone.else' } },
        pinned.publishers,
        pinned.countersigners,
      ).publisher,
    ).toBe(false);
    expect(
      checkKeysetSignatures(
        { ...ks, publisherSignature: { ...ks.publisherSignature, keyId: '00000000' } },
        pinned.publishers,
        pinned.countersigners,
      ).publisher,
    ).toBe(false);
    expect(checkKeysetSignatures(ks, [], pinned.countersigners).publisher).toBe(false);
    // Ed25519 signatures are deterministic, so re-signing gives the same bytes; use another
    // pinned publisher to get a different valid publisher signature.
    const second = fixedKey('publisher2.example', KEY_TYPE_ED25519);
    const resigned = { ...ks, publisherSignature: makeSignatureRef(second, publisherMessage(ks)) };
    expect(
      checkKeysetSignatures(resigned, [...pinned.publishers, parseVerifierKey(second.vkey)], pinned.countersigners),
    ).toEqual({ publisher: true, countersigner: false });
  });
});

describe('deployment evidence rules', () => {
  const ev = evidence.value;

  it('attestations sign the context string then the canonical statement', () => {
    const hsm = ev.hsms[0]!;
    expect(text(attestationMessage({ hsmId: hsm.id, keys: hsm.keys, measurement: hsm.measurement }))).toBe(
      `${ATTESTATION_CONTEXT}${canonicalJson({ hsmId: hsm.id, keys: hsm.keys, measurement: hsm.measurement })}`,
    );
    expect(evidenceProblems(ev, pinned.vendors)).toEqual([]);
  });

  it('reports each problem', () => {
    expect(evidenceProblems(ev, [])).toEqual(expect.arrayContaining([expect.stringMatching(/pins no HSM vendor/)]));
    const dup = { ...ev, hsms: [ev.hsms[0]!, ev.hsms[0]!] };
    expect(evidenceProblems(dup, pinned.vendors)).toEqual([expect.stringMatching(/appears twice/)]);
    const wrongFw = { ...ev, firmware: { ...ev.firmware, sha256: toHex(sha256(utf8('other firmware'))) } };
    expect(evidenceProblems(wrongFw, pinned.vendors)).toHaveLength(2);
    const rekeyed = { ...ev, hsms: [{ ...ev.hsms[0]!, keys: [{ alg: 'ed25519', publicKey: 'cd'.repeat(32) }] }] };
    expect(evidenceProblems(rekeyed, pinned.vendors)).toEqual([
      expect.stringMatching(/attestation is not a valid signature/),
    ]);
    const otherVendor = makeEvidence(fixedKey('rogue-vendor.example', KEY_TYPE_ED25519), 'fleet-a');
    expect(evidenceProblems(otherVendor, pinned.vendors)).toHaveLength(2);
    expect(evidenceProblems(world.evidence.c.value, pinned.vendors)).toEqual([
      expect.stringMatching(/fleet-c-hsm2 reports firmware measurement/),
    ]);
  });

  it('key sets may only carry attested keys of HSMs in their evidence', () => {
    const ks = keyset.value;
    expect(keysetEvidenceProblems(ks, ev)).toEqual([]);
    expect(keysetEvidenceProblems(ks, world.evidence.b.value)).toEqual(
      expect.arrayContaining([expect.stringMatching(/is for fleet fleet-a but its evidence is for fleet fleet-b/)]),
    );
    const extraHsm = {
      ...ks,
      keys: [...ks.keys, { hsmId: 'fleet-a-hsm9', alg: 'ed25519', publicKey: 'ab'.repeat(32) }],
    };
    expect(keysetEvidenceProblems(extraHsm, ev)).toEqual([expect.stringMatching(/not in the deployment evidence/)]);
    const swappedKey = { ...ks, keys: [{ ...ks.keys[0]!, publicKey: ks.keys[1]!.publicKey }] };
    expect(keysetEvidenceProblems(swappedKey, ev)).toEqual([
      expect.stringMatching(/not among the keys its attestation covers/),
    ]);
    const body = keysetBodyFor(ev, evidence.bytes, 5);
    expect(keysetEvidenceProblems(signFleetKeyset(body, keys.publisher, keys.countersigner), ev)).toEqual([]);
  });
});
