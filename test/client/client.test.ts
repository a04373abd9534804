// The fleetlog/client entry on its own: the offline decision on the spec's vector world, how it
// refuses what a log or network hands over (never a throw past the decision), embedded-mode key
// checks, and the tiles reader's caps and error codes with an injected fetch.
import { describe, expect, it } from 'vitest';
import { checkPinnedKey } from '../../client/embedded.ts';
import { fetchFleetTrust } from '../../client/fetch-trust.ts';
import { LogReader } from '../../client/log-reader.ts';
import { verifyFleetBundle } from '../../client/trust.ts';
import { formatFleetBundle } from '../../core/audit/fleet-bundle.ts';
import { serializeState } from '../../core/audit/client-state.ts';
import { buildWorld, NOW } from '../../specs/vectors/fixtures.ts';
import { codeOf } from '../support/error-code.ts';

const world = buildWorld();
const checkpoint = world.checkpoint(9, [0, 2]);
const bundle = formatFleetBundle(world.bundle(world.keysets.a2, world.evidence.a, checkpoint, 9));

describe('verifyFleetBundle', () => {
  it('trusts the vector world fleet-a v2 through all eight steps and returns its keys per HSM', () => {
    const r = verifyFleetBundle({ policy: world.policyText, bundle, now: NOW });
    expect(r.trusted).toBe(true);
    expect(r.steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      '1:pass',
      '2:pass',
      '3:pass',
      '4:pass',
      '5:pass',
      '6:pass',
      '7:pass',
      '8:pass',
    ]);
    expect(r.failure).toBeUndefined();
    expect(Object.values(r.keysByHsm).flat()).toEqual(r.keyset!.keys);
    expect(r.keyset!.version).toBe(2);
    expect(r.state.fleets['fleet-a']!.version).toBe(2);
    // Persisted as text and passed back, a replayed older version is a rollback (step 7).
    const older = formatFleetBundle(world.bundle(world.keysets.a1, world.evidence.a, checkpoint, 9));
    const again = verifyFleetBundle({
      policy: world.policyText,
      bundle: older,
      now: NOW,
      state: serializeState(r.state),
    });
    expect(again.trusted).toBe(false);
    expect(again.failure).toMatchObject({ step: 7, status: 'fail' });
    expect(again.keysByHsm).toEqual({});
    expect(again.state).toEqual(r.state);
  });

  it('turns a malformed bundle or state into a failed step with all eight listed, and throws only for a bad policy', () => {
    const bad = verifyFleetBundle({ policy: world.policyText, bundle: 'not a bundle', now: NOW });
    expect(bad.trusted).toBe(false);
    expect(bad.steps.map((s) => s.status)).toEqual(['fail', 'skip', 'skip', 'skip', 'skip', 'skip', 'skip', 'skip']);
    expect(bad.failure!.reason).toContain('does not parse');
    const badState = verifyFleetBundle({ policy: world.policyText, bundle, now: NOW, state: '{"format":"x"}' });
    expect(badState.failure).toMatchObject({ step: 5 });
    expect(badState.trusted).toBe(false);
    expect(codeOf(() => verifyFleetBundle({ policy: 'nonsense line\n', bundle }))).toBe('bad_policy');
  });

  it('fails step 8 outside the validity window', () => {
    const r = verifyFleetBundle({ policy: world.policyText, bundle, now: NOW + 400 * 86400 });
    expect(r.failure).toMatchObject({ step: 8, status: 'fail' });
  });
});

describe('fetchFleetTrust with an injected fetch', () => {
  const serve = (routes: Record<string, string>) => async (url: string) => {
    const path = new URL(url).pathname;
    return path in routes ? new Response(routes[path]) : new Response('{}', { status: 404 });
  };

  it('decides on the bundle the log serves', async () => {
    const r = await fetchFleetTrust({
      log: 'https://log.example/',
      fleetId: 'fleet-a',
      policy: world.policyText,
      now: NOW,
      fetch: serve({ '/fleet-bundle/fleet-a': bundle }),
    });
    expect(r.trusted).toBe(true);
    expect(r.bundleText).toBe(bundle);
  });

  it('reports a fleet the log does not have as step 1, and a key set for another fleet as not trusted', async () => {
    const none = await fetchFleetTrust({
      log: 'https://log.example',
      fleetId: 'fleet-z',
      policy: world.policyText,
      fetch: serve({}),
    });
    expect(none.failure).toMatchObject({ step: 1, reason: 'the log has no key set for fleet fleet-z' });
    const swapped = await fetchFleetTrust({
      log: 'https://log.example',
      fleetId: 'fleet-b',
      policy: world.policyText,
      now: NOW,
      fetch: serve({ '/fleet-bundle/fleet-b': bundle }),
    });
    expect(swapped.trusted).toBe(false);
    expect(swapped.failure!.reason).toContain('is for fleet fleet-a, not fleet-b');
  });

  it('throws network (never a decision) when the log cannot be reached', async () => {
    const failing = async (): Promise<Response> => {
      throw new TypeError('connection refused');
    };
    await expect(
      fetchFleetTrust({ log: 'https://log.example', fleetId: 'fleet-a', policy: world.policyText, fetch: failing }),
    ).rejects.toMatchObject({ code: 'network' });
  });
});

describe('LogReader', () => {
  it('caps bodies, by Content-Length and while streaming', async () => {
    const big = new LogReader('https://log.example', { fetch: async () => new Response('x'.repeat(100)) });
    await expect(big.get('checkpoint', 10)).rejects.toMatchObject({ code: 'too_large' });
    const stream = new ReadableStream({
      pull(c) {
        c.enqueue(new Uint8Array(1024));
      },
    });
    const endless = new LogReader('https://log.example', { fetch: async () => new Response(stream) });
    await expect(endless.get('checkpoint', 4096)).rejects.toMatchObject({ code: 'too_large' });
  });

  it('rejects a tile of the wrong length as bad_tile and refuses tiles no verified tree covers', async () => {
    const short = new LogReader('https://log.example', { fetch: async () => new Response(new Uint8Array(31)) });
    await expect(short.tile({ level: 0, index: 0, width: 1 }, 1)).rejects.toMatchObject({ code: 'bad_tile' });
    await expect(short.tile({ level: 0, index: 1, width: 256 }, 256)).rejects.toMatchObject({ code: 'internal' });
  });
});

describe('checkPinnedKey (embedded mode)', () => {
  const pinned = { fleetId: 'fleet-a', keys: world.keysets.a2.value.keys };
  const key = pinned.keys[0]!;
  it('accepts a pinned key and says why it refuses any other', () => {
    expect(checkPinnedKey(pinned, { fleetId: 'fleet-a', ...key }).ok).toBe(true);
    expect(checkPinnedKey(pinned, { fleetId: 'fleet-b', ...key })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not fleet-b'),
    });
    expect(checkPinnedKey(pinned, { fleetId: 'fleet-a', ...key, publicKey: '00'.repeat(32) })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not the pinned one'),
    });
    expect(checkPinnedKey(pinned, { fleetId: 'fleet-a', ...key, hsmId: 'intruder' })).toMatchObject({ ok: false });
  });
});
