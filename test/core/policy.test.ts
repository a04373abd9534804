// C2SP tlog-policy parsing and quorum evaluation, plus fleetlog's own policy lines.
import { describe, expect, it } from 'vitest';
import { KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519 } from '../../core/note/keys.ts';
import {
  logForOrigin,
  MAX_POLICY_CHARS,
  parsePolicy,
  quorumSatisfied,
  toTlogPolicyText,
  type Policy,
} from '../../core/policy/policy.ts';
import { fixedKey } from '../../specs/vectors/fixtures.ts';
import { codeOf } from '../support/error-code.ts';

const log = fixedKey('example.com/log', KEY_TYPE_ED25519);
const w = (name: string): string => fixedKey(`${name}.witness.example`, KEY_TYPE_COSIGNATURE).vkey;
const publisher = fixedKey('publisher.example', KEY_TYPE_ED25519).vkey;
const countersigner = fixedKey('countersigner.example', KEY_TYPE_ED25519).vkey;
const vendor = fixedKey('vendor.example', KEY_TYPE_ED25519).vkey;

/** The example policy of C2SP tlog-policy, with real keys. */
const C2SP_EXAMPLE = `log ${log.vkey}

witness X1 ${w('x1')}
witness X2 ${w('x2')}
witness X3 ${w('x3')}
group X-witnesses 2 X1 X2 X3

witness Y1 ${w('y1')}
witness Y2 ${w('y2')}
witness Y3 ${w('y3')}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
`;

const satisfied = (p: Policy, names: string[]): boolean => quorumSatisfied(p, new Set(names));

describe('the C2SP example policy', () => {
  const policy = parsePolicy(C2SP_EXAMPLE);

  it('parses logs, witnesses, groups and the quorum', () => {
    expect(policy.logs.map((l) => l.verifier.name)).toEqual(['example.com/log']);
    expect([...policy.witnesses.keys()]).toEqual(['X1', 'X2', 'X3', 'Y1', 'Y2', 'Y3']);
    expect(policy.groups.get('X-witnesses')).toEqual({
      name: 'X-witnesses',
      threshold: 2,
      members: ['X1', 'X2', 'X3'],
    });
    expect(policy.groups.get('Y-witnesses')?.threshold).toBe(1);
    expect(policy.groups.get('X-and-Y')?.threshold).toBe(2);
    expect(policy.quorum).toBe('X-and-Y');
    expect(policy.fleetlog).toBe(false);
    expect(logForOrigin(policy, 'example.com/log')).toBe(policy.logs[0]);
    expect(logForOrigin(policy, 'example.com/other')).toBeUndefined();
  });

  it.each([
    [['X1', 'X2', 'Y1'], true],
    [['X1', 'X3', 'Y3'], true],
    [['X1', 'X2', 'X3', 'Y1', 'Y2', 'Y3'], true],
    [['X1', 'Y1', 'Y2', 'Y3'], false],
    [['X1', 'X2', 'X3'], false],
    [['Y1', 'Y2'], false],
    [[], false],
    [['X1', 'X2', 'Y9'], false],
    [['X-witnesses', 'Y-witnesses'], false], // group names are not cosigners
  ])('cosigned by %j: %s', (names, expected) => {
    expect(satisfied(policy, names)).toBe(expected);
  });
});

describe('policy parsing', () => {
  const parse = (text: string) => parsePolicy(text);

  it('quorum none needs no witnesses, and policies may list no logs', () => {
    const p = parse('quorum none\n');
    expect(p.logs).toEqual([]);
    expect(satisfied(p, [])).toBe(true);
  });

  it('a single witness as the quorum', () => {
    const p = parse(`witness A ${w('a')}\nquorum A\n`);
    expect(satisfied(p, ['A'])).toBe(true);
    expect(satisfied(p, ['B'])).toBe(false);
  });

  it('tabs and spaces separate items; leading/trailing whitespace, blank and comment lines are ignored', () => {
    const p = parse(
      `  # a comment\n\t\n\tlog\t${log.vkey}\t https://log.example/ \nwitness\t A \t${w('a')}\n   #another\ngroup g\tall A\nquorum g   \n`,
    );
    expect(p.logs[0]!.url).toBe('https://log.example/');
    expect(satisfied(p, ['A'])).toBe(true);
  });

  it('names are opaque: "K" and the Kelvin sign are different witnesses', () => {
    const p = parse(`witness K ${w('k1')}\nwitness \u212a ${w('k2')}\ngroup both all K \u212a\nquorum both\n`);
    expect(p.witnesses.size).toBe(2);
    expect(satisfied(p, ['K'])).toBe(false);
    expect(satisfied(p, ['K', '\u212a'])).toBe(true);
  });

  it('k may equal n, and a witness may belong to several groups (once each)', () => {
    const p = parse(
      `witness A ${w('a')}\nwitness B ${w('b')}\nwitness C ${w('c')}\ngroup g1 2 A B\ngroup g2 any A C\ngroup q all g1 g2\nquorum q\n`,
    );
    expect(satisfied(p, ['A', 'B'])).toBe(true);
    expect(satisfied(p, ['B', 'C'])).toBe(false);
  });

  it('supports at least 32 logs, witnesses and groups', () => {
    const lines: string[] = [];
    for (let i = 0; i < 32; i++) lines.push(`log ${fixedKey(`log${i}.example`, KEY_TYPE_ED25519).vkey}`);
    for (let i = 0; i < 32; i++) lines.push(`witness w${i} ${w(`w${i}`)}`);
    for (let i = 0; i < 32; i++) lines.push(`group g${i} any w${i}`);
    lines.push(`group all32 all ${Array.from({ length: 32 }, (_, i) => `g${i}`).join(' ')}`, 'quorum all32');
    const p = parse(`${lines.join('\n')}\n`);
    expect(p.logs).toHaveLength(32);
    expect(
      satisfied(
        p,
        Array.from({ length: 32 }, (_, i) => `w${i}`),
      ),
    ).toBe(true);
    expect(
      satisfied(
        p,
        Array.from({ length: 31 }, (_, i) => `w${i}`),
      ),
    ).toBe(false);
  });

  const W = `witness A ${w('a')}\nwitness B ${w('b')}\n`;
  it.each([
    ['no quorum line', W],
    ['two quorum lines', `${W}quorum A\nquorum B\n`],
    ['quorum naming an undefined witness', `${W}quorum C\n`],
    ['quorum before its definition', `quorum A\n${W}`],
    ['group member defined later', `group g any A\n${W}quorum g\n`],
    ['group member undefined', `${W}group g any A C\nquorum g\n`],
    ['group member listed twice', `${W}group g 2 A A\nquorum g\n`],
    ['group with no members', `${W}group g any\nquorum g\n`],
    ['group threshold 0', `${W}group g 0 A B\nquorum g\n`],
    ['group threshold above n', `${W}group g 3 A B\nquorum g\n`],
    ['group threshold with a leading zero', `${W}group g 01 A B\nquorum g\n`],
    ['group threshold negative', `${W}group g -1 A B\nquorum g\n`],
    ['group threshold as a word', `${W}group g two A B\nquorum g\n`],
    ['group referring to itself', `${W}group g any g\nquorum g\n`],
    ['"none" as a group member', `${W}group g any none\nquorum g\n`],
    ['a witness named "none"', `witness none ${w('a')}\nquorum none\n`],
    ['a group named "none"', `${W}group none any A\nquorum none\n`],
    ['a name defined twice (witness)', `${W}witness A ${w('c')}\nquorum A\n`],
    ['a name defined twice (group and witness)', `${W}group A any B\nquorum A\n`],
    ['duplicate witness key under two names', `witness A ${w('a')}\nwitness B ${w('a')}\nquorum A\n`],
    ['duplicate log key', `log ${log.vkey}\nlog ${log.vkey}\nquorum none\n`],
    ['log key of type 0x04', `log ${w('a')}\nquorum none\n`],
    ['witness key of type 0x01', `witness A ${log.vkey}\nquorum A\n`],
    ['malformed vkey', `log example.com/log+00000000+AAAA\nquorum none\n`],
    ['log line with too many fields', `log ${log.vkey} https://a/ extra\nquorum none\n`],
    ['witness line without a key', 'witness A\nquorum none\n'],
    ['unknown keyword', `${W}quorum A\nmonitor x\n`],
    ['keyword in capitals', `${W}QUORUM A\n`],
    ['comment after content', `${W}quorum A # the quorum\n`],
    ['carriage return (CRLF file)', `${W.replace(/\n/g, '\r\n')}quorum A\r\n`],
    ['NUL byte', `${W}quorum A\u0000\n`],
    ['DEL byte', `${W}quorum A\u007f\n`],
    ['vertical tab as whitespace', `${W}quorum\u000bA\n`],
    ['form feed', `${W}\u000c\nquorum A\n`],
  ])('rejects %s', (_, text) => {
    expect(codeOf(() => parse(text))).toBe('bad_policy');
  });

  it('caps the policy size', () => {
    expect(codeOf(() => parse(`quorum none\n${'#'.repeat(MAX_POLICY_CHARS)}\n`))).toBe('too_large');
  });

  it('errors name the offending line', () => {
    try {
      parse(`${W}group g 3 A B\nquorum g\n`);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/^policy line 3:/);
    }
  });
});

describe('fleetlog lines', () => {
  const base = `log ${log.vkey}\nwitness A ${w('a')}\nquorum A\n`;
  const fleet = `${base}fleetlog publisher ${publisher}\nfleetlog countersigner ${countersigner}\nfleetlog hsm-vendor ${vendor}\n`;

  it('pin publisher, countersigner and HSM vendor keys', () => {
    const p = parsePolicy(fleet);
    expect(p.fleetlog).toBe(true);
    expect(p.publishers.map((k) => k.vkey)).toEqual([publisher]);
    expect(p.countersigners.map((k) => k.vkey)).toEqual([countersigner]);
    expect(p.hsmVendors.map((k) => k.vkey)).toEqual([vendor]);
  });

  it('strip cleanly to a C2SP-only policy', () => {
    const c2sp = toTlogPolicyText(fleet);
    expect(c2sp).not.toContain('fleetlog');
    const p = parsePolicy(c2sp);
    expect(p.fleetlog).toBe(false);
    expect(p.witnesses.size).toBe(1);
    expect(toTlogPolicyText(`${base}  \tfleetlog publisher ${publisher}\n`)).toBe(`${base}`);
  });

  it.each([
    ['unknown role', `${fleet}fleetlog auditor ${fixedKey('aud.example', KEY_TYPE_ED25519).vkey}\n`],
    ['cosigner-type key', `${base}fleetlog publisher ${w('p')}\nfleetlog countersigner ${countersigner}\n`],
    ['no countersigner', `${base}fleetlog publisher ${publisher}\n`],
    ['no publisher', `${base}fleetlog countersigner ${countersigner}\n`],
    [
      'the same key as publisher and countersigner',
      `${base}fleetlog publisher ${publisher}\nfleetlog countersigner ${publisher}\n`,
    ],
    [
      'the log key reused as publisher',
      `${base}fleetlog publisher ${log.vkey}\nfleetlog countersigner ${countersigner}\n`,
    ],
    ['missing key', `${fleet}fleetlog publisher\n`],
  ])('reject %s', (_, text) => {
    expect(codeOf(() => parsePolicy(text))).toBe('bad_policy');
  });
});
