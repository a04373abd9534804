// A full entry bundle's gzip answer is one indexed read of the compression stored when the bundle
// completed: no read of its 256 entries and no compression, for any number of distinct bundles (so
// a flood of random full tiles on a log bigger than the caches costs a read each). A database whose
// bundles have no stored compression (an older fleetlog's) is migrated at open and each bundle is
// compressed and stored once, on its first request. A narrower width of a full bundle (`.p/W`)
// is never compressed per request either: past the caches it is answered uncompressed.
import { rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toHex } from '../../core/bytes.ts';
import { encodeEntryBundle } from '../../core/entry-bundle.ts';
import { growWithSyntheticEntries } from '../../bench/synthetic-entries.ts';
import { dbPath } from '../../log-server/data-dir.ts';
import { openLog, type OpenLog } from '../../log-server/index.ts';
import { SqliteLogStorage } from '../../log-server/storage/sqlite-storage.ts';
import { silentLogger } from '../../service/logger.ts';
import { countQueries } from '../support/sqlite-queries.ts';
import { freshLog, POLICY } from './helpers.ts';

const BUNDLES = 6;
const SIZE = BUNDLES * 256 + 40;

/** A log of SIZE synthetic entries; `older` drops the stored compressions as an older fleetlog's file. */
async function grownLog(older: boolean): Promise<{ log: OpenLog; dir: string }> {
  const fresh = await freshLog();
  const storage = SqliteLogStorage.open(dbPath(fresh.dataDir));
  await growWithSyntheticEntries(storage, fresh.dataDir, SIZE, 100);
  await storage.close();
  if (older) {
    const db = new Database(dbPath(fresh.dataDir));
    db.exec('DROP TABLE bundle_gzip');
    db.close();
  }
  const log = await openLog({ dataDir: fresh.dataDir, policyText: POLICY, logger: silentLogger, writerThread: false });
  return { log, dir: fresh.dir };
}

const tilePath = (n: number) => `/tile/entries/${String(n).padStart(3, '0')}`;
const GZIP = { 'accept-encoding': 'gzip' };

async function expectedBundle(log: OpenLog, n: number): Promise<string> {
  return toHex(encodeEntryBundle(await log.service.storage.readEntries(n * 256, 256)));
}

describe('full entry bundles served from their stored compression', () => {
  let current: { log: OpenLog; dir: string };
  beforeAll(async () => {
    current = await grownLog(false);
  }, 120_000);
  afterAll(async () => {
    await current.log.close();
    rmSync(current.dir, { recursive: true, force: true });
  });

  it('answers each distinct full bundle with one read and no compression', async () => {
    const { log } = current;
    const entryReads = vi.spyOn(log.service.storage, 'readEntries');
    const gzipReads = vi.spyOn(log.service.storage, 'readBundleGzip');
    const bodies: Uint8Array[] = [];
    try {
      for (let n = 0; n < BUNDLES; n++) {
        const queries = await countQueries(async () => {
          const r = await log.app.request(tilePath(n), { headers: GZIP });
          expect(r.status).toBe(200);
          expect(r.headers.get('content-encoding')).toBe('gzip');
          bodies.push(new Uint8Array(await r.arrayBuffer()));
        });
        expect(queries).toBe(1);
      }
      expect(gzipReads).toHaveBeenCalledTimes(BUNDLES);
      expect(entryReads).not.toHaveBeenCalled();
      expect(log.service.tiles.compressions).toBe(0);
    } finally {
      entryReads.mockRestore();
      gzipReads.mockRestore();
    }
    for (let n = 0; n < BUNDLES; n++) expect(toHex(gunzipSync(bodies[n]!))).toBe(await expectedBundle(log, n));
  });

  it('serves the same bundle bytes without gzip, and partial bundles as before', async () => {
    const { log } = current;
    const plain = await log.app.request(tilePath(2));
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(toHex(new Uint8Array(await plain.arrayBuffer()))).toBe(await expectedBundle(log, 2));
    const partial = await log.app.request(`${tilePath(BUNDLES)}.p/40`, { headers: GZIP });
    const want = encodeEntryBundle(await log.service.storage.readEntries(BUNDLES * 256, 40));
    expect(toHex(gunzipSync(new Uint8Array(await partial.arrayBuffer())))).toBe(toHex(want));
  });
});

describe('narrower widths of full bundles', () => {
  let current: { log: OpenLog; dir: string };
  beforeAll(async () => {
    current = await grownLog(false);
  }, 120_000);
  afterAll(async () => {
    await current.log.close();
    rmSync(current.dir, { recursive: true, force: true });
  });

  it('are answered from their rows, uncompressed, never compressed per request', async () => {
    const { log } = current;
    for (let n = 0; n < BUNDLES; n++) {
      const width = 1 + ((n * 97) % 255);
      const r = await log.app.request(`${tilePath(n)}.p/${width}`, { headers: GZIP });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-encoding')).toBeNull();
      expect(r.headers.get('vary')).toBe('accept-encoding');
      const want = encodeEntryBundle(await log.service.storage.readEntries(n * 256, width));
      expect(toHex(new Uint8Array(await r.arrayBuffer()))).toBe(toHex(want));
    }
    expect(log.service.tiles.compressions).toBe(0);
  });

  it('share one storage read when many requests miss the cache for the same tile at once', async () => {
    const { log } = current;
    const entryReads = vi.spyOn(log.service.storage, 'readEntries');
    const hashReads = vi.spyOn(log.service.storage, 'readLevelHashes');
    try {
      const answers = await Promise.all([
        ...Array.from({ length: 12 }, () => log.app.request(`${tilePath(3)}.p/77`)),
        ...Array.from({ length: 12 }, () => log.app.request('/tile/0/004.p/9')),
      ]);
      for (const r of answers) expect(r.status).toBe(200);
      expect(entryReads).toHaveBeenCalledTimes(1);
      expect(hashReads).toHaveBeenCalledTimes(1);
      const want = toHex(encodeEntryBundle(await log.service.storage.readEntries(3 * 256, 77)));
      for (const r of answers.slice(0, 12)) expect(toHex(new Uint8Array(await r.arrayBuffer()))).toBe(want);
    } finally {
      entryReads.mockRestore();
      hashReads.mockRestore();
    }
  });
});

describe('a log whose full bundles have no stored compression (an older fleetlog wrote it)', () => {
  let older: { log: OpenLog; dir: string };
  beforeAll(async () => {
    older = await grownLog(true);
  }, 120_000);
  afterAll(async () => {
    await older.log.close();
    rmSync(older.dir, { recursive: true, force: true });
  });

  it('compresses and stores each bundle once, on its first request, then reads it', async () => {
    const { log } = older;
    const first = await Promise.all([1, 1, 1].map(() => log.app.request(tilePath(1), { headers: GZIP })));
    expect(log.service.tiles.compressions).toBe(1); // concurrent first requests share one compression
    const want = await expectedBundle(log, 1);
    for (const r of first) expect(toHex(gunzipSync(new Uint8Array(await r.arrayBuffer())))).toBe(want);
    const stored = await log.service.storage.readBundleGzip(1);
    expect(toHex(gunzipSync(stored!))).toBe(want);
    const entryReads = vi.spyOn(log.service.storage, 'readEntries');
    try {
      const again = await log.app.request(tilePath(1), { headers: GZIP });
      expect(toHex(gunzipSync(new Uint8Array(await again.arrayBuffer())))).toBe(want);
      expect(entryReads).not.toHaveBeenCalled();
    } finally {
      entryReads.mockRestore();
    }
    expect(log.service.tiles.compressions).toBe(1);
  });
});
