// The cost of an unauthenticated read does not grow with what the sender asks for: /fleets is one
// SQLite query per page whatever the limit, and random partial widths of a tile are served from
// the tile's cached prefix (no storage read), with gzip only for the widths real clients ask for.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntryBundle } from '../../core/entry-bundle.ts';
import { openLog, type OpenLog } from '../../log-server/index.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { silentLogger } from '../../service/logger.ts';
import { freshLog, KEYS, POLICY } from './helpers.ts';

let log: OpenLog;
let token: string;

beforeAll(async () => {
  const fresh = await freshLog();
  token = fresh.token;
  log = await openLog({ dataDir: fresh.dataDir, policyText: POLICY, logger: silentLogger, writerThread: false });
  const pairs = generatePairs(KEYS, 150); // 150 fleets, 300 entries: one full tile and a partial one
  const post = (body: Uint8Array) =>
    log.app.request('/add-entry', {
      method: 'POST',
      body: body as BodyInit,
      headers: { authorization: `Bearer ${token}` },
    });
  for (let i = 0; i < pairs.length; i += 25) {
    const chunk = pairs.slice(i, i + 25);
    for (const r of await Promise.all(chunk.map((p) => post(p.evidence)))) expect(r.status).toBe(200);
    for (const r of await Promise.all(chunk.map((p) => post(p.keyset)))) expect(r.status).toBe(200);
  }
});
afterAll(async () => {
  await log.close();
});

/** Counts every SQLite statement execution (all/get/run/iterate) while `body` runs. */
async function countQueries(body: () => Promise<unknown>): Promise<number> {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
  probe.close();
  let n = 0;
  const saved = new Map<string, (...a: unknown[]) => unknown>();
  for (const m of ['all', 'get', 'run', 'iterate']) {
    const original = proto[m]!;
    saved.set(m, original);
    proto[m] = function (this: unknown, ...args: unknown[]) {
      n += 1;
      return original.apply(this, args);
    };
  }
  try {
    await body();
  } finally {
    for (const [m, f] of saved) proto[m] = f;
  }
  return n;
}

describe('bounded cost per read', () => {
  it('GET /fleets?limit=1000 is one query, paginated', async () => {
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

  it('serves every partial width of a tile from one cached read, and gzips only the current width', async () => {
    // The tree holds 300 entries: tile 1 is partial at width 44.
    const widest = await log.app.request('/tile/entries/001.p/44');
    const all = decodeEntryBundle(new Uint8Array(await widest.arrayBuffer()), 44);
    expect((await log.app.request('/tile/0/001.p/44')).status).toBe(200);
    const queries = await countQueries(async () => {
      for (let w = 1; w <= 44; w++) {
        const r = await log.app.request(`/tile/entries/001.p/${w}`, { headers: { 'accept-encoding': 'gzip' } });
        expect(r.status).toBe(200);
        const gzipped = r.headers.get('content-encoding') === 'gzip';
        expect(gzipped, `width ${w}`).toBe(w === 44);
        if (!gzipped) {
          const got = decodeEntryBundle(new Uint8Array(await r.arrayBuffer()), w);
          expect(got.every((e, i) => Buffer.from(e).equals(all[i]!))).toBe(true);
        }
      }
      for (let w = 1; w <= 44; w++) expect((await log.app.request(`/tile/0/001.p/${w}`)).status).toBe(200);
    });
    // Every narrower width is a slice of what was read once.
    expect(queries).toBe(0);
  });
});
