// The eight audit steps (core/audit/steps.ts) run by decideFleetTrust: a happy path and each step
// failing for the right reason, over the deterministic fixture world of specs/vectors.
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../core/bytes.ts';
import { EMPTY_STATE, parseState, serializeState } from '../../core/audit/client-state.ts';
import { formatFleetBundle, parseFleetBundle } from '../../core/audit/fleet-bundle.ts';
import { decideFleetTrust } from '../../core/audit/fleet-trust.ts';
import { step2Inclusion, step5Consistency, step7Version, step8Validity, STEP_TITLES } from '../../core/audit/steps.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { buildAuditScenarios } from '../../specs/vectors/audit-scenarios.ts';
import { buildWorld, NOW, ORIGIN } from '../../specs/vectors/fixtures.ts';
import { codeOf } from '../support/error-code.ts';

const world = buildWorld();
const scenarios = buildAuditScenarios(world);

describe('decideFleetTrust', () => {
  it('has passing scenarios and failing scenarios for every step 1..8', () => {
    expect(scenarios.filter((s) => s.expected.trusted).length).toBeGreaterThanOrEqual(3);
    const failing = new Set(scenarios.flatMap((s) => (s.expected.trusted ? [] : [s.expected.failedStep])));
    expect([...failing].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it.each(
    scenarios.map(
      (s) => [s.expected.trusted ? 'trusts' : `fails step ${s.expected.failedStep}`, s.description, s] as const,
    ),
  )('%s: %s', (_, __, s) => {
    // Go through the wire format of the bundle, as a client would.
    const bundle = parseFleetBundle(formatFleetBundle(s.bundle));
    const decision = decideFleetTrust({
      policy: parsePolicy(s.policy),
      bundle,
      now: s.now,
      state: s.state,
      ...(s.consistencyProof ? { consistencyProof: s.consistencyProof } : {}),
      ...(s.fleetId ? { fleetId: s.fleetId } : {}),
    });
    expect(decision.trusted).toBe(s.expected.trusted);
    if (s.expected.trusted) {
      expect(decision.steps.map((x) => x.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(decision.steps.every((x) => x.ok && x.title === STEP_TITLES[x.step])).toBe(true);
      expect(decision.skipped).toEqual([]);
      // The new state remembers the key set's version and never moves the checkpoint backwards.
      const ks = decision.keyset!;
      expect(decision.state.fleets[ks.fleetId]).toEqual({
        version: ks.version,
        leafHash: toHex(leafHash(bundle.keyset.bytes)),
      });
      const size = Math.max(s.state.checkpoint?.size ?? 0, Number(bundle.checkpoint.split('\n')[1]));
      expect(decision.state.checkpoint?.size).toBe(size);
      expect(parseState(serializeState(decision.state))).toEqual(decision.state);
      return;
    }
    const { failedStep, reason } = s.expected;
    const last = decision.steps.at(-1)!;
    expect(last.step).toBe(failedStep);
    expect(last.ok).toBe(false);
    expect(last.reason).toContain(reason);
    expect(decision.steps.slice(0, -1).every((x) => x.ok)).toBe(true);
    expect(decision.steps.map((x) => x.step)).toEqual(Array.from({ length: failedStep }, (_, i) => i + 1));
    expect(decision.skipped).toEqual(Array.from({ length: 8 - failedStep }, (_, i) => failedStep + 1 + i));
    expect(decision.state).toBe(s.state); // a failed decision never changes what the client saved
  });
});

describe('individual steps', () => {
  const keyset = world.keysets.a2;
  it('step 2 fails cleanly on a checkpoint that does not parse', () => {
    const r = step2Inclusion('not a checkpoint\n', keyset.bytes, keyset.index, []);
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/does not parse/);
  });

  it('step 5: trust on first use, equal trees, growth, and a stale view with a bad proof', () => {
    const cp = { origin: ORIGIN, size: 9, rootHash: world.store.root(9), extensions: [] };
    expect(step5Consistency(undefined, cp, undefined).ok).toBe(true);
    const seen9 = { origin: ORIGIN, size: 9, rootHash: toHex(world.store.root(9)) };
    expect(step5Consistency(seen9, cp, undefined).ok).toBe(true);
    const older = { origin: ORIGIN, size: 6, rootHash: world.store.root(6), extensions: [] };
    expect(step5Consistency(seen9, older, world.consistency(6, 9)).ok).toBe(true);
    expect(step5Consistency(seen9, older, world.consistency(5, 9)).ok).toBe(false);
    expect(step5Consistency(seen9, older, []).ok).toBe(false);
  });

  it('step 7 accepts a first sighting, the same key set again, and a newer version', () => {
    const hash = toHex(leafHash(keyset.bytes));
    expect(step7Version(keyset.value, hash, undefined).ok).toBe(true);
    expect(step7Version(keyset.value, hash, { version: 2, leafHash: hash }).ok).toBe(true);
    expect(step7Version(keyset.value, hash, { version: 1, leafHash: toHex(leafHash(world.keysets.a1.bytes)) }).ok).toBe(
      true,
    );
  });

  it('step 8 treats the window as notBefore <= now < notAfter', () => {
    const k = keyset.value;
    expect(step8Validity(k, k.notBefore).ok).toBe(true);
    expect(step8Validity(k, k.notAfter - 1).ok).toBe(true);
    expect(step8Validity(k, k.notAfter).ok).toBe(false);
    expect(step8Validity(k, k.notBefore - 1).ok).toBe(false);
    expect(step8Validity(k, NOW).ok).toBe(true);
  });
});

describe('fleet bundles and client state', () => {
  const bundle = world.bundle(world.keysets.a2, world.evidence.a, world.checkpoint(9), 9);

  it('round-trips the two-proof bundle format', () => {
    const text = formatFleetBundle(bundle);
    expect(text.startsWith('c2sp.org/tlog-proof@v1\nextra ')).toBe(true);
    const parsed = parseFleetBundle(text);
    expect(formatFleetBundle(parsed)).toBe(text);
    expect(toHex(parsed.keyset.bytes)).toBe(toHex(bundle.keyset.bytes));
  });

  it.each([
    ['a single proof', (t: string) => t.slice(0, t.indexOf('\nc2sp.org/tlog-proof@v1\n') + 1)],
    [
      'two proofs over different checkpoints',
      (t: string) => {
        const second = t.indexOf('\nc2sp.org/tlog-proof@v1\n') + 1;
        return t.slice(0, second) + t.slice(second).replace(`${ORIGIN}\n9\n`, `${ORIGIN}\n8\n`);
      },
    ],
    [
      'a proof without extra',
      (t: string) => t.replace(/^c2sp\.org\/tlog-proof@v1\nextra [^\n]*\n/, 'c2sp.org/tlog-proof@v1\n'),
    ],
    ['leading garbage', (t: string) => `x${t}`],
  ])('rejects %s', (_, mangle) => {
    expect(codeOf(() => parseFleetBundle(mangle(formatFleetBundle(bundle))))).toBe('bad_proof');
  });

  it('client state round-trips and rejects malformed files', () => {
    expect(parseState(serializeState(EMPTY_STATE))).toEqual(EMPTY_STATE);
    const state = {
      checkpoint: { origin: ORIGIN, size: 9, rootHash: toHex(world.store.root(9)) },
      fleets: { 'fleet-a': { version: 2, leafHash: toHex(leafHash(utf8('x'))) } },
    };
    expect(parseState(serializeState(state))).toEqual(state);
    for (const bad of [
      '{',
      '{}',
      '{"format":"fleetlog-client-state/v1"}',
      '{"format":"fleetlog-client-state/v1","fleets":{"f":{"version":1,"leafHash":"zz"}}}',
      '{"format":"fleetlog-client-state/v1","fleets":{},"checkpoint":{"origin":"o","size":-1,"rootHash":""}}',
    ]) {
      expect(() => parseState(bad), bad).toThrow();
    }
  });
});
