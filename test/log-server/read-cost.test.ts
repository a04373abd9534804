// The cost of an unauthenticated read does not grow with what the sender asks for: /fleets is one
// indexed read of the key-set mark for any page (every fleet is kept rendered in memory and caught up
// from the key sets stored since), or one page query when the log has too many key sets to keep; and
// random partial widths of a tile are served from the tile's cached prefix (no storage read) and
// gzipped from one compression per tile.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toHex } from '../../core/bytes.ts';
import { decodeEntryBundle } from '../../core/entry-bundle.ts';
import { FleetPages } from '../../log-server/fleet-pages.ts';
import { openLog, type OpenLog } from '../../log-server/index.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { syntheticPair } from '../../log-server/load/synthetic.ts';
import { silentLogger } from '../../service/logger.ts';
import { countQueries } from '../support/sqlite-queries.ts';
import { freshLog, KEYS, POLICY } from './helpers.ts';

let log: OpenLog;
let token: string;

const post = (body: Uint8Array) =>
  log.app.request('/add-entry', {
    method: 'POST',
    body: body as BodyInit,
    headers: { authorization: `Bearer ${token}` },
  });

beforeAll(async () => {
  const fresh = await freshLog();
  token = fresh.token;
  log = await openLog({ dataDir: fresh.dataDir, policyText: POLICY, logger: silentLogger, writerThread: false });
  const pairs = generatePairs(KEYS, 150); // 150 fleets, 300 entries: one full tile and a partial one
  for (let i = 0; i < pairs.length; i += 25) {
    const chunk = pairs.slice(i, i + 25);
    for (const r of await Promise.all(chunk.map((p) => post(p.evidence)))) expect(r.status).toBe(200);
    for (const r of await Promise.all(chunk.map((p) => post(p.keyset)))) expect(r.status).toBe(200);
  }
});
afterAll(async () => {
  await log.close();
});

/** The answer as the route built it before pages were cached: JSON.stringify of the whole. */
async function reference(after: string, limit: number): Promise<string> {
  const fleets = await log.service.storage.listFleets(after, limit);
  return JSON.stringify({
    size: log.service.sequencer.latest.size,
    fleets: fleets.map((f) => ({
      fleetId: f.fleetId,
      keysets: f.keysets.map((k) => ({
        version: k.version,
        index: k.index,
        leafHash: toHex(k.leafHash),
        evidenceIndex: k.evidenceIndex,
        notBefore: k.notBefore,
        notAfter: k.notAfter,
      })),
    })),
    next: fleets.length === limit ? fleets[fleets.length - 1]!.fleetId : null,
  });
}

describe('bounded cost per read', () => {
  it('GET /fleets?limit=1000 is one read of the key-set mark once the fleets are kept, paginated', async () => {
    await log.app.request('/fleets'); // the first request reads every key set once
    let page: { fleets: Array<{ fleetId: string; keysets: unknown[] }>; next: string | null } | undefined;
    const queries = await countQueries(async () => {
      page = (await (await log.app.request('/fleets?limit=1000')).json()) as typeof page;
    });
    expect(page!.fleets).toHaveLength(150);
    expect(page!.fleets.every((f) => f.keysets.length === 1)).toBe(true);
    expect(page!.next).toBeNull();
    expect(queries).toBe(1);
    // A page is at most 200 fleets whatever the limit: here 150 exist, so a limit of 120 shows paging.
    const capped = (await (await log.app.request('/fleets?limit=120')).json()) as NonNullable<typeof page>;
    expect(capped.fleets).toHaveLength(120);
    expect(capped.next).toBe(capped.fleets[119]!.fleetId);
    const first = (await (await log.app.request('/fleets?limit=100')).json()) as NonNullable<typeof page>;
    expect(first.fleets).toHaveLength(100);
    const rest = (await (await log.app.request(`/fleets?limit=100&after=${first.next}`)).json()) as NonNullable<
      typeof page
    >;
    expect([...first.fleets, ...rest.fleets].map((f) => f.fleetId)).toEqual(page!.fleets.map((f) => f.fleetId));
  });

  it('answers /fleets with any after and limit from the kept fleets: one read of the mark each', async () => {
    const ids = (
      (await (await log.app.request('/fleets?limit=200')).json()) as { fleets: Array<{ fleetId: string }> }
    ).fleets.map((f) => f.fleetId);
    const asked = Array.from({ length: 30 }, (_, i) => ({
      after: ids[(i * 37) % ids.length]!,
      limit: 1 + ((i * 97) % 1000),
    }));
    const pageReads = vi.spyOn(log.service.storage, 'listFleets');
    const keysetReads = vi.spyOn(log.service.storage, 'keysetsFrom');
    const bodies: string[] = [];
    try {
      const queries = await countQueries(async () => {
        for (const { after, limit } of asked)
          bodies.push(await (await log.app.request(`/fleets?after=${after}&limit=${limit}`)).text());
      });
      expect(queries).toBe(asked.length);
      expect(pageReads).not.toHaveBeenCalled();
      expect(keysetReads).not.toHaveBeenCalled();
    } finally {
      pageReads.mockRestore();
      keysetReads.mockRestore();
    }
    for (const [i, { after, limit }] of asked.entries())
      expect(bodies[i]).toBe(await reference(after, Math.min(limit, 200)));
  });

  it('serves /fleets pages from storage, one query each and cached, when there are too many key sets to keep', async () => {
    const pages = new FleetPages(log.service.storage, { maxKeptKeysets: 100 });
    const pageReads = vi.spyOn(log.service.storage, 'listFleets');
    try {
      const first = await pages.page('', 120);
      expect(pageReads).toHaveBeenCalledTimes(1);
      expect(await pages.page('', 120)).toEqual(first); // the rendered page, under the same mark
      expect(pageReads).toHaveBeenCalledTimes(1);
      expect(await new FleetPages(log.service.storage).page('', 120)).toEqual(first);
    } finally {
      pageReads.mockRestore();
    }
  });

  it('serves every partial width of a tile from one cached read, gzipped from one compression', async () => {
    // The tree holds 300 entries: tile 1 is partial at width 44.
    const widest = await log.app.request('/tile/entries/001.p/44');
    const all = decodeEntryBundle(new Uint8Array(await widest.arrayBuffer()), 44);
    expect((await log.app.request('/tile/0/001.p/44')).status).toBe(200);
    const compressed = log.service.tiles.compressions;
    const answers: Uint8Array[] = [];
    const queries = await countQueries(async () => {
      for (let w = 44; w >= 1; w--) {
        const r = await log.app.request(`/tile/entries/001.p/${w}`, { headers: { 'accept-encoding': 'gzip' } });
        expect(r.status).toBe(200);
        expect(r.headers.get('content-encoding'), `width ${w}`).toBe('gzip');
        answers[w] = new Uint8Array(await r.arrayBuffer());
      }
      for (let w = 1; w <= 44; w++) expect((await log.app.request(`/tile/0/001.p/${w}`)).status).toBe(200);
    });
    // Every narrower width is a slice of what was read once, and of one compression.
    expect(queries).toBe(0);
    expect(log.service.tiles.compressions - compressed).toBe(1);
    for (let w = 1; w <= 44; w++) {
      const got = decodeEntryBundle(new Uint8Array(gunzipSync(answers[w]!)), w);
      expect(
        got.every((e, i) => Buffer.from(e).equals(all[i]!)),
        `width ${w}`,
      ).toBe(true);
    }
    // The full tile too, from its own compression: the same bytes as the identity answer.
    const full = await log.app.request('/tile/entries/000', { headers: { 'accept-encoding': 'gzip' } });
    const identity = new Uint8Array(await (await log.app.request('/tile/entries/000')).arrayBuffer());
    expect(new Uint8Array(gunzipSync(new Uint8Array(await full.arrayBuffer())))).toEqual(identity);
  });

  it('answers a tile or entry the tree does not cover with a 404 and no storage read', async () => {
    // The tree holds 300 entries: tile 1 exists only up to width 44, level 1 only as .p/1.
    const beyond = [
      '/tile/entries/001.p/45',
      '/tile/0/001.p/200',
      '/tile/entries/002.p/1',
      '/tile/0/x001/000',
      '/tile/1/000.p/2',
      '/tile/2/000.p/1',
      '/entry/300',
      '/entry/9007199254740991',
    ];
    const queries = await countQueries(async () => {
      for (const path of beyond) {
        const r = await log.app.request(path, { headers: { 'accept-encoding': 'gzip' } });
        expect(r.status, path).toBe(404);
        expect(((await r.json()) as { code: string }).code).toBe('not_found');
      }
    });
    expect(queries).toBe(0);
  });

  // Runs last: it appends entries, which moves the partial tile the test above relies on.
  it('catches the kept fleets up from only the key sets stored since, with the same bytes as before', async () => {
    const first = await log.app.request('/fleets?limit=140');
    expect(first.headers.get('content-type')).toBe('application/json');
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect(await first.text()).toBe(await reference('', 140));
    const keysetReads = vi.spyOn(log.service.storage, 'keysetsFrom');
    try {
      let body = '';
      const queries = await countQueries(async () => {
        for (let i = 0; i < 5; i++) body = await (await log.app.request('/fleets?limit=140')).text();
      });
      // Five repeats: nothing read but the mark, one indexed read each.
      expect(keysetReads).not.toHaveBeenCalled();
      expect(queries).toBe(5);
      expect(body).toBe(await reference('', 140));

      // A new fleet that sorts first moves every page: the next request reads the new key set only.
      const added = syntheticPair(KEYS, '0-first-fleet');
      expect((await post(added.evidence)).status).toBe(200);
      const answer = (await (await post(added.keyset)).json()) as { index: number };
      const after = await (await log.app.request('/fleets?limit=140')).text();
      expect(keysetReads).toHaveBeenCalledTimes(1);
      const read = (await keysetReads.mock.results[0]!.value) as Array<{ index: number }>;
      expect(read.map((k) => k.index)).toEqual([answer.index]);
      expect(after).toBe(await reference('', 140));
      expect((JSON.parse(after) as { fleets: Array<{ fleetId: string }> }).fleets[0]!.fleetId).toBe('0-first-fleet');
      // A second key set of a fleet already kept moves its entry, still read alone.
      const again = syntheticPair(KEYS, '0-first-fleet');
      expect((await post(again.evidence)).status).toBe(200);
      expect((await post(again.keyset)).status).toBe(200);
      keysetReads.mockClear();
      const twice = await (await log.app.request('/fleets?limit=3')).text();
      expect(keysetReads).toHaveBeenCalledTimes(1);
      expect(twice).toBe(await reference('', 3));
      // An entry that is not a key set changes only the size in front of the kept page.
      expect((await post(syntheticPair(KEYS, '0-other').evidence)).status).toBe(200);
      keysetReads.mockClear();
      const moved = await (await log.app.request('/fleets?limit=140')).text();
      expect(keysetReads).not.toHaveBeenCalled();
      expect(moved).toBe(await reference('', 140));
      expect(moved).not.toBe(after);
    } finally {
      keysetReads.mockRestore();
    }
  });
});
