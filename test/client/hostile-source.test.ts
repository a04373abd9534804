// fleetlog/client reading from a log that lies, over real HTTP with the platform's fetch: bundles
// with trailing bytes, tiles of the wrong length, gzip bombs, endless or stalled bodies, HTML with
// 200, thousands of signature lines. Each must be a refusal (a failed step) or a FleetlogError
// with a stable code, within the reader's deadline: never a crash, a hang, or trust.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchFleetTrust, isFleetlogError, LogReader } from '../../client/index.ts';
import { replace, rewrite, type Reply, type Served } from '../auditor/support/log-http.ts';
import { TEST_NOW } from '../auditor/support/fleet-fixtures.ts';
import { fleetScenario, serveScenario } from '../auditor/support/scenario.ts';

const s = fleetScenario();
for (let i = 0; i < 300; i++) s.log.append(new TextEncoder().encode(`padding ${i}`));
s.log.publish();
let served: Served;
beforeAll(async () => {
  served = await serveScenario(() => s.log, { fleetBundles: true });
});
afterAll(() => served.close());

/** The decision, or the error code, for fleet-a with the current tampering. */
async function decide(): Promise<string> {
  try {
    const r = await fetchFleetTrust({
      log: served.url,
      fleetId: 'fleet-a',
      policy: s.policyText,
      now: TEST_NOW,
      timeoutMs: 1500,
    });
    return r.trusted ? 'trusted' : `refused step ${r.steps.find((x) => x.status === 'fail')?.step}`;
  } catch (e) {
    if (isFleetlogError(e)) return `error ${e.code}`;
    throw e;
  }
}

/** What the reader makes of entry bundle 0 (of the tree the scenario published). */
async function readBundle(timeoutMs: number): Promise<string> {
  try {
    const reader = new LogReader(served.url, { timeoutMs });
    const entries = await reader.entryBundle({ level: 0, index: 0, width: 256 }, s.log.size);
    return `ok ${entries.length}`;
  } catch (e) {
    if (isFleetlogError(e)) return `error ${e.code}`;
    throw e;
  }
}

const bomb: Reply = {
  status: 200,
  body: gzipSync(new Uint8Array(64 * 1024 * 1024)),
  headers: { 'content-encoding': 'gzip' },
};

describe('fleetlog/client against a hostile log', () => {
  it('trusts the honest log (baseline)', async () => {
    served.tamper = undefined;
    expect(await decide()).toBe('trusted');
    expect(await readBundle(1500)).toBe('ok 256');
  });

  const bundleCases: [string, () => void, string][] = [
    [
      'a fleet bundle that is an HTML page',
      () =>
        (served.tamper = replace('fleet-bundle/fleet-a', {
          status: 200,
          body: '<html>hi</html>\n',
          contentType: 'text/html',
        })),
      'refused step 1',
    ],
    [
      'a fleet bundle that is a gzip bomb',
      () => (served.tamper = replace('fleet-bundle/fleet-a', bomb)),
      'refused step 1',
    ],
    [
      'a fleet bundle that never ends',
      () => (served.tamper = replace('fleet-bundle/fleet-a', { kind: 'endless' })),
      'refused step 1',
    ],
    [
      'a fleet bundle that never comes',
      () => (served.tamper = replace('fleet-bundle/fleet-a', { kind: 'hang' })),
      'error network',
    ],
    [
      'a fleet bundle with 10,000 extra signature lines',
      () =>
        (served.tamper = rewrite('fleet-bundle/fleet-a', (b) =>
          new TextDecoder().decode(b).replace(/\n\n/, `\n\n${`— x ${'A'.repeat(80)}\n`.repeat(10_000)}`),
        )),
      'refused step 1',
    ],
  ];
  for (const [name, set, expected] of bundleCases) {
    it(`${name}: ${expected}`, async () => {
      set();
      try {
        expect(await decide()).toBe(expected);
      } finally {
        served.tamper = undefined;
      }
    });
  }

  const tileCases: [string, () => void, string][] = [
    [
      'an entry bundle with trailing bytes',
      () => (served.tamper = rewrite('tile/entries/000', (b) => new Uint8Array([...b, 0, 1, 65]))),
      'error bad_tile',
    ],
    [
      'an entry bundle cut short',
      () => (served.tamper = rewrite('tile/entries/000', (b) => b.subarray(0, b.length - 3))),
      'error bad_tile',
    ],
    [
      'an entry bundle that is a gzip bomb',
      () =>
        (served.tamper = replace('tile/entries/000', { ...bomb, body: gzipSync(new Uint8Array(40 * 1024 * 1024)) })),
      'error bad_tile',
    ],
    [
      'an entry bundle that never ends',
      () => (served.tamper = replace('tile/entries/000', { kind: 'endless' })),
      'error bad_tile',
    ],
    [
      'an entry bundle that never comes',
      () => (served.tamper = replace('tile/entries/000', { kind: 'hang' })),
      'error network',
    ],
    [
      'an entry bundle cut before its Content-Length',
      () =>
        (served.tamper = replace('tile/entries/000', { kind: 'truncate', body: new Uint8Array(10), declared: 1000 })),
      'error network',
    ],
  ];
  for (const [name, set, expected] of tileCases) {
    it(`${name}: ${expected}`, async () => {
      set();
      try {
        // A stalled body must end at the deadline; the others well before this one (a bomb is
        // inflated up to the 16 MiB cap, which takes a loaded machine a second or two).
        expect(await readBundle(expected === 'error network' ? 1500 : 20_000)).toBe(expected);
      } finally {
        served.tamper = undefined;
      }
    });
  }
});
