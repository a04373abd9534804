// The pure publishing steps (core/publish/): drafts, the two signatures, the countersigner's
// checks (each refusal alone, with its code), key set diffs and deployment descriptions.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../../core/entries/canonical-json.ts';
import { decodeEntry, entryLeafHashHex } from '../../core/entries/entry.ts';
import { signFleetKeyset } from '../../core/entries/fleet-keyset.ts';
import { KEY_TYPE_ED25519, generateKey, parseSignerKey } from '../../core/note/keys.ts';
import { parsePolicy, type Policy } from '../../core/policy/policy.ts';
import { evidenceFromDescription } from '../../core/publish/deployment-description.ts';
import { diffKeysets } from '../../core/publish/keyset-diff.ts';
import {
  countersignKeyset,
  draftKeyset,
  formatKeysetDraft,
  parseKeysetDraft,
  signAsPublisher,
} from '../../core/publish/keyset-draft.ts';
import { publishChecks, requirePinnedKey } from '../../core/publish/publish-checks.ts';
import { simulatedDeploymentDescription } from '../../simulator/deployment-description.ts';
import { codeOf } from '../support/error-code.ts';

const NOW = 1_800_000_000;
const publisher = parseSignerKey(generateKey('publisher.example', KEY_TYPE_ED25519).skey);
const counter = parseSignerKey(generateKey('countersigner.example', KEY_TYPE_ED25519).skey);
const vendorSkey = generateKey('vendor.example', KEY_TYPE_ED25519).skey;
const policy: Policy = parsePolicy(
  [
    'quorum none',
    `fleetlog publisher ${publisher.vkey}`,
    `fleetlog countersigner ${counter.vkey}`,
    `fleetlog hsm-vendor ${parseSignerKey(vendorSkey).vkey}`,
  ].join('\n'),
);
let description: Record<string, unknown>;
let ev: ReturnType<typeof evidenceFromDescription>;

beforeAll(async () => {
  description = await simulatedDeploymentDescription({
    fleetId: 'fleet-x',
    hsms: 2,
    regions: ['eu'],
    vendorSkey,
    now: NOW,
  });
  ev = evidenceFromDescription(description as Json, policy);
});

const draft = (version = 2, notBefore = NOW, notAfter = NOW + 86_400) =>
  draftKeyset({ evidence: ev.evidence, evidenceBytes: ev.bytes, version, notBefore, notAfter });
const failed = (checks: ReturnType<typeof publishChecks>) => checks.filter((c) => !c.ok).map((c) => [c.name, c.code]);

describe('drafts and signatures', () => {
  it('draft lists the chosen keys of every HSM and references the evidence leaf hash', () => {
    const all = draft().body;
    expect(all.evidence).toBe(entryLeafHashHex(ev.bytes));
    expect(all.keys).toHaveLength(ev.evidence.hsms.reduce((n, h) => n + h.keys.length, 0));
    const ed = draftKeyset({
      evidence: ev.evidence,
      evidenceBytes: ev.bytes,
      version: 1,
      notBefore: 0,
      notAfter: 1,
      algs: ['ed25519'],
    });
    expect(ed.body.keys.map((k) => k.alg)).toEqual(['ed25519', 'ed25519']);
    expect(
      codeOf(() =>
        draftKeyset({
          evidence: ev.evidence,
          evidenceBytes: ev.bytes,
          version: 1,
          notBefore: 0,
          notAfter: 1,
          algs: ['rsa'],
        }),
      ),
    ).toBe('usage');
    expect(codeOf(() => draft(1, 10, 10))).toBe('usage');
  });

  it('sign then countersign gives exactly the entry of signFleetKeyset, which decodes and verifies', () => {
    const { keyset, bytes } = countersignKeyset(signAsPublisher(draft(), publisher), counter);
    const reference = signFleetKeyset(draft().body, publisher, counter);
    expect(keyset).toEqual(reference);
    expect(decodeEntry(bytes)).toEqual(reference);
    expect(codeOf(() => countersignKeyset(draft(), counter))).toBe('usage');
  });

  it('draft files round-trip in any formatting, and a complete entry is not a draft', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.boolean(),
        (version, start, signed) => {
          const d = draft(version, start, start + 1);
          const file = formatKeysetDraft(signed ? signAsPublisher(d, publisher) : d);
          const reparsed = parseKeysetDraft(JSON.parse(JSON.stringify(JSON.parse(file), null, 3)) as Json);
          expect(formatKeysetDraft(reparsed)).toBe(file);
        },
      ),
      { numRuns: 50 },
    );
    const { bytes } = countersignKeyset(signAsPublisher(draft(), publisher), counter);
    expect(codeOf(() => parseKeysetDraft(JSON.parse(new TextDecoder().decode(bytes)) as Json))).toBe('bad_entry');
    expect(codeOf(() => parseKeysetDraft({ ...JSON.parse(formatKeysetDraft(draft())), extra: 1 } as Json))).toBe(
      'bad_entry',
    );
  });
});

describe('the countersigner checks', () => {
  const ctx = (over: Partial<Parameters<typeof publishChecks>[1]> = {}) => ({
    policy,
    evidence: ev.evidence,
    evidenceBytes: ev.bytes,
    now: NOW,
    ...over,
  });

  it('all pass for a fresh, signed key set with a higher version', () => {
    const signed = signAsPublisher(draft(2), publisher);
    expect(failed(publishChecks(signed, ctx({ current: draft(1).body })))).toEqual([]);
  });

  it('each refusal fails exactly its own check, with its code', () => {
    const signed = signAsPublisher(draft(2), publisher);
    const edited = { ...signed, body: { ...signed.body, notAfter: signed.body.notAfter + 1 } };
    expect(failed(publishChecks(edited, ctx()))).toEqual([['publisher signature', 'bad_signature']]);
    expect(failed(publishChecks(draft(2), ctx()))).toEqual([['publisher signature', 'bad_signature']]);
    expect(failed(publishChecks(signAsPublisher(draft(2), counter), ctx()))).toEqual([
      ['publisher signature', 'bad_signature'],
    ]);
    expect(failed(publishChecks(signed, ctx({ current: draft(2).body })))).toEqual([['version', 'rollback']]);
    expect(failed(publishChecks(signed, ctx({ now: signed.body.notAfter })))).toEqual([
      ['validity window', 'entry_rejected'],
    ]);
    const otherBytes = new Uint8Array([...ev.bytes.subarray(0, -1), 0x20, 0x7d]);
    expect(failed(publishChecks(signed, ctx({ evidenceBytes: otherBytes })))[0]).toEqual([
      'evidence reference',
      'entry_rejected',
    ]);
    const strangerKeys = {
      ...signed,
      body: { ...signed.body, keys: [{ hsmId: 'nope', alg: 'ed25519', publicKey: '00'.repeat(32) }] },
    };
    expect(failed(publishChecks(signAsPublisher(strangerKeys, publisher), ctx()))).toEqual([
      ['keys against the evidence (K1, K2)', 'entry_rejected'],
    ]);
    const noVendors = parsePolicy(
      `quorum none\nfleetlog publisher ${publisher.vkey}\nfleetlog countersigner ${counter.vkey}`,
    );
    expect(failed(publishChecks(signed, ctx({ policy: noVendors })))).toEqual([
      ['deployment evidence (E1-E4)', 'entry_rejected'],
    ]);
  });

  it('only a pinned countersigner key may counter-sign', () => {
    expect(codeOf(() => requirePinnedKey('countersigner', counter, policy.countersigners))).toBeUndefined();
    expect(codeOf(() => requirePinnedKey('countersigner', publisher, policy.countersigners))).toBe('forbidden');
  });
});

describe('diffs and descriptions', () => {
  it('the diff names added and removed keys and HSMs', () => {
    const before = draft(1).body;
    const after = { ...before, version: 2, keys: before.keys.filter((k) => k.hsmId !== before.keys[0]!.hsmId) };
    const d = diffKeysets(before, after);
    expect(d.removedHsms).toEqual([before.keys[0]!.hsmId]);
    expect(d.addedKeys).toEqual([]);
    expect(d.removedKeys.length).toBeGreaterThan(0);
    expect(d.evidenceChanged).toBe(false);
  });

  it('a description becomes canonical evidence; a bad attestation or type is refused', () => {
    expect(
      evidenceFromDescription({ ...description, type: 'fleetlog/deployment-evidence/v1' } as Json, policy).bytes,
    ).toEqual(ev.bytes);
    const hsms = (description.hsms as { measurement: string }[]).map((h, i) =>
      i === 0 ? { ...h, measurement: 'ab'.repeat(32) } : h,
    );
    expect(codeOf(() => evidenceFromDescription({ ...description, hsms } as Json, policy))).toBe('entry_rejected');
    expect(
      codeOf(() => evidenceFromDescription({ ...description, type: 'fleetlog/fleet-keyset/v1' } as Json, policy)),
    ).toBe('bad_entry');
    expect(codeOf(() => evidenceFromDescription([] as Json, policy))).toBe('bad_entry');
  });
});
