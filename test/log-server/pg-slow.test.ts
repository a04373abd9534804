import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { PgLogStorage } from '../../log-server/storage/pg-storage.ts';
import { PrivatePostgres } from '../support/private-postgres.ts';
import { initPgLog, servePgLog } from '../support/pg-log.ts';
import type { ServerProcess } from '../support/process.ts';
import { KEYS } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DB = 'fleetlog';

let pgs: PrivatePostgres;
let log: ServerProcess;
let token: string;
const pairs = generatePairs(KEYS, 40);
let nextPair = 0;

afterAll(async () => {
  await log?.stop('SIGKILL');
});

beforeAll(async () => {
  pgs = await PrivatePostgres.start();
  const made = await initPgLog(pgs, DB, 'slow.example/log');
  token = made.token;
  log = await servePgLog(made);
  // It listens before its first look at the lease: wait until it leads.
  for (let i = 0; i < 100 && (await cluster()).role !== 'leader'; i++) await sleep(100);
}, 60_000);

interface Timed {
  status: number;
  body: string;
  ms: number;
}

async function timed(path: string, init: RequestInit = {}): Promise<Timed> {
  const t0 = performance.now();
  const res = await fetch(`${log.url}${path}`, { ...init, signal: AbortSignal.timeout(40_000) });
  return { status: res.status, body: await res.text(), ms: performance.now() - t0 };
}

function append(): Promise<Timed> {
  const entry = pairs[nextPair++]!.evidence;
  return timed('/add-entry', {
    method: 'POST',
    body: entry as BodyInit,
    headers: { authorization: `Bearer ${token}` },
  });
}

async function cluster(): Promise<{ status: string; role: string; fencingToken: number | undefined }> {
  const h = (await (await fetch(`${log.url}/health`)).json()) as {
    status: string;
    cluster: { role: string; fencingToken?: number };
  };
  return { status: h.status, role: h.cluster.role, fencingToken: h.cluster.fencingToken };
}

/** A session of the test that holds an ACCESS EXCLUSIVE lock on `table` until released. */
async function lockTable(table: string): Promise<() => Promise<void>> {
  const s = await pgs.session(DB);
  await s.query('BEGIN');
  await s.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return async () => {
    await s.query('ROLLBACK');
  };
}

describe('log-server on a slow PostgreSQL', () => {
  it('a locked entries table: 503 in bounded time, health says writes fail, the leader keeps its lease', {
    timeout: 60_000,
  }, async () => {
    expect((await append()).status).toBe(200);
    const before = await cluster();
    expect(before.role).toBe('leader');
    const release = await lockTable('log_entries');
    const [write, read] = await Promise.all([append(), timed('/entry/0')]);
    for (const r of [write, read]) {
      expect(r.status, r.body).toBe(503);
      expect(JSON.parse(r.body).code).toBe('unavailable');
      // statement_timeout (5 s), plus at most one wait for a connection (5 s): never unbounded.
      expect(r.ms).toBeLessThan(15_000);
    }
    const during = await cluster();
    expect(during.status).toBe('unavailable');
    expect(during.role).toBe('leader');
    expect(during.fencingToken).toBe(before.fencingToken);
    await release();
    const after = await append();
    expect(after.status, after.body).toBe(200);
    expect(after.ms).toBeLessThan(3000);
    expect((await cluster()).status).toBe('ok');
  });

  it('unauthenticated reads stuck on a locked table do not starve appends or the lease', {
    timeout: 60_000,
  }, async () => {
    const before = await cluster();
    expect(before.role).toBe('leader');
    // /fleets reads the key-set table; appending evidence entries never touches it.
    const release = await lockTable('log_keysets');
    try {
      const reads = Array.from({ length: 120 }, (_, i) => timed(`/fleets?after=f${i}`));
      await sleep(300); // the reads hold every read connection and fill the queue
      const appends: Timed[] = [];
      for (let i = 0; i < 6; i++) appends.push(await append());
      for (const a of appends) {
        expect(a.status, a.body).toBe(200);
        expect(a.ms).toBeLessThan(3000);
      }
      const during = await cluster();
      expect(during.role).toBe('leader');
      expect(during.fencingToken).toBe(before.fencingToken);
      const answered = await Promise.all(reads);
      for (const r of answered) {
        expect(r.status, r.body).toBe(503);
        expect(r.ms).toBeLessThan(15_000);
      }
      // Beyond the queue's cap a read is refused at once instead of waiting.
      const refusedAtOnce = answered.filter((r) => r.ms < 2000);
      expect(refusedAtOnce.length).toBeGreaterThan(0);
      for (const r of refusedAtOnce)
        expect(JSON.parse(r.body)).toEqual({ code: 'unavailable', message: 'the log is busy; retry shortly' });
    } finally {
      await release();
    }
    expect((await timed('/fleets')).status).toBe(200);
  });

  it('the compressed entry bundles are read through the same capped queue', { timeout: 60_000 }, async () => {
    // What GET /tile/entries/N asks of the storage for a full bundle, here straight on the storage.
    const storage = await PgLogStorage.open(pgs.url(DB));
    const release = await lockTable('log_bundle_gzip');
    try {
      const t0 = performance.now();
      const reads = Array.from({ length: 100 }, () =>
        storage.readBundleGzip(0).then(
          () => ({ ok: true, message: '', ms: performance.now() - t0 }),
          (e: Error) => ({ ok: false, message: e.message, ms: performance.now() - t0 }),
        ),
      );
      const answered = await Promise.all(reads);
      const refusedAtOnce = answered.filter((r) => !r.ok && r.ms < 2000);
      expect(refusedAtOnce.length).toBeGreaterThanOrEqual(100 - 8 - 64);
      for (const r of refusedAtOnce) expect(r.message).toBe('the log is busy; retry shortly');
    } finally {
      await release();
      await storage.close();
    }
  });
});
