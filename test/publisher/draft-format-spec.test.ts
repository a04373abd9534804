/**
 * specs/formats.md §6.4 against the code: the draft and signed-draft examples given there are what
 * `fleet draft` and `fleet sign` write for the worked example of §8 (rebuilt here from the §8.3
 * evidence and the §8.1 publisher key), they parse, re-serialize to the same bytes, and the signed
 * one's publisher signature verifies under the §8.1 publisher vkey. The reading rules the section
 * states (members, countersignature, formatting) are checked on the same examples.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../core/bytes.ts';
import type { Json } from '../../core/entries/canonical-json.ts';
import { parseDeploymentEvidence } from '../../core/entries/deployment-evidence.ts';
import { publisherMessage } from '../../core/entries/fleet-keyset.ts';
import { verifySignatureRef } from '../../core/entries/signature-ref.ts';
import { parseSignerKey, parseVerifierKey } from '../../core/note/keys.ts';
import { draftKeyset, formatKeysetDraft, parseKeysetDraft, signAsPublisher } from '../../core/publish/keyset-draft.ts';
import { codeOf } from '../support/error-code.ts';

const SPEC = readFileSync(new URL('../../specs/formats.md', import.meta.url), 'utf8');

/** The fenced code blocks of the section that starts with `heading`, up to the next heading of its level or above. */
function blocks(heading: string): string[] {
  const start = SPEC.indexOf(`\n${heading}`);
  expect(start, heading).toBeGreaterThan(0);
  const rest = SPEC.slice(start + 1);
  const end = rest.slice(heading.length).search(/\n#{2,3} /);
  const section = end < 0 ? rest : rest.slice(0, heading.length + end);
  return [...section.matchAll(/```\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
}

/** A one-line example as its file bytes: the spec writes the final 0x0A as a literal `\n`. */
function fileText(block: string): string {
  expect(block.endsWith('\\n')).toBe(true);
  expect(block.slice(0, -2)).not.toContain('\n');
  return `${block.slice(0, -2)}\n`;
}

const [draftExample, signedExample] = blocks('### 6.4 Draft and signed-draft files').map(fileText) as [string, string];
const evidenceBytes = utf8(blocks('### 8.3 Deployment evidence entry')[0]!);
const publisherSkey = /`(PRIVATE\+KEY\+publisher\.example\+[^`]+)`/.exec(SPEC)![1]!;
const publisherVkey = /`(publisher\.example\+b8c54aeb\+[^`]+)`/.exec(SPEC)![1]!;

describe('formats.md §6.4: draft and signed-draft files', () => {
  it('the examples have the sizes the spec states', () => {
    expect(utf8(draftExample).length).toBe(313);
    expect(utf8(signedExample).length).toBe(525);
  });

  it('fleet draft and fleet sign write exactly the examples for the worked example', () => {
    const draft = draftKeyset({
      evidence: parseDeploymentEvidence(JSON.parse(new TextDecoder().decode(evidenceBytes)) as Json),
      evidenceBytes,
      version: 1,
      notBefore: 1700000000,
      notAfter: 1731536000,
    });
    expect(formatKeysetDraft(draft)).toBe(draftExample);
    expect(formatKeysetDraft(signAsPublisher(draft, parseSignerKey(publisherSkey)))).toBe(signedExample);
  });

  it('the examples parse, re-serialize to the same bytes, and the signature verifies under the §8.1 key', () => {
    const draft = parseKeysetDraft(JSON.parse(draftExample) as Json);
    expect(draft.publisherSignature).toBeUndefined();
    expect(formatKeysetDraft(draft)).toBe(draftExample);
    const signed = parseKeysetDraft(JSON.parse(signedExample) as Json);
    expect(formatKeysetDraft(signed)).toBe(signedExample);
    expect(signed.body).toEqual(draft.body);
    const key = parseVerifierKey(publisherVkey);
    expect(verifySignatureRef(signed.publisherSignature!, [key], publisherMessage(signed.body))).toBe(true);
  });

  it('reading follows the stated rules: formatting is free, members are exact, a counter-signed entry is refused', () => {
    const value = JSON.parse(signedExample) as Record<string, Json>;
    // Other whitespace and member order read the same key set.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(value).reverse()), null, 2);
    expect(formatKeysetDraft(parseKeysetDraft(JSON.parse(reordered) as Json))).toBe(signedExample);
    expect(codeOf(() => parseKeysetDraft({ ...value, note: 'x' }))).toBe('bad_entry');
    const { version: _version, ...missing } = value;
    expect(codeOf(() => parseKeysetDraft(missing as Json))).toBe('bad_entry');
    const countersigned = { ...value, countersignature: value.publisherSignature! };
    expect(() => parseKeysetDraft(countersigned as Json)).toThrow(/already counter-signed/);
    expect(codeOf(() => parseKeysetDraft({ ...value, notAfter: 1700000000 }))).toBe('bad_entry');
  });
});
