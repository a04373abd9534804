// test:dist skip: a database fault test; what it checks does not depend on the build (scripts/test-dist.mjs).
// A flood of unauthenticated reads on a slow PostgreSQL under a real `witness serve --database`
// (private server: test/support/private-postgres.ts). The evidence table is locked by another
// session, so every GET /evidence holds a connection until statement_timeout (5 s) cancels it.
// The reads have their own capped pool: add-checkpoint (judged on the checks pool, committed on
// the writer's) keeps cosigning in bounded time, reads beyond the queue's cap are refused at once
// with 503 "the witness is busy", and /health and /metrics show the pools and the refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpointNote } from '../../core/checkpoint.ts';
import { originHash } from '../../witness/store.ts';
import { PrivatePostgres } from '../support/private-postgres.ts';
import { freePort, runFleetlog, startFleetlogServer, tempDir, type ServerProcess } from '../support/process.ts';
import { verifyCosignature } from './fixture.ts';
import { TestLog } from './test-log.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DB = 'fleetlog';
const BUSY = { code: 'unavailable', message: 'the witness is busy; retry shortly' };

let pgs: PrivatePostgres;
let witness: ServerProcess;
let vkey: string;
const log = new TestLog('example.com/pg-slow-log');

afterAll(async () => {
  await witness?.stop('SIGKILL');
});

beforeAll(async () => {
  pgs = await PrivatePostgres.start();
  await pgs.query(`CREATE DATABASE ${DB}`);
  const database = pgs.url(DB);
  const dataDir = tempDir('fleetlog-witness-pg-slow-');
  const init = await runFleetlog([
    ...['witness', 'init', '--data', dataDir, '--name', 'witness.example/slow'],
    ...['--database', database],
  ]);
  expect(init.code, init.stderr).toBe(0);
  vkey = init.stdout.trim();
  const add = await runFleetlog([
    ...['witness', 'add-log', '--data', dataDir, '--database', database],
    ...['--origin', log.origin, '--vkey', log.vkey],
  ]);
  expect(add.code, add.stderr).toBe(0);
  const port = await freePort();
  witness = await startFleetlogServer(
    ['witness', 'serve', '--data', dataDir, '--database', database, '--listen', `127.0.0.1:${port}`],
    `http://127.0.0.1:${port}`,
    { env: { FLEETLOG_LOG_LEVEL: 'warn' } },
  );
}, 60_000);

interface Timed {
  status: number;
  body: string;
  ms: number;
}

async function timed(path: string, init: RequestInit = {}): Promise<Timed> {
  const t0 = performance.now();
  const res = await fetch(`${witness.url}${path}`, { ...init, signal: AbortSignal.timeout(40_000) });
  return { status: res.status, body: await res.text(), ms: performance.now() - t0 };
}

/** The size the witness last cosigned for `log`. */
let cosignedSize = 0;

/** Grows `log` by `n` entries and asks the witness to cosign the new checkpoint. */
async function cosignNext(n: number): Promise<Timed> {
  log.grow(n);
  const r = await timed('/add-checkpoint', { method: 'POST', body: log.body(cosignedSize) });
  if (r.status === 200) cosignedSize = log.size;
  return r;
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

function metric(text: string, line: RegExp): number {
  const m = text.match(line);
  if (!m) throw new Error(`no ${line} in /metrics:\n${text}`);
  return Number(m[1]);
}

describe('witness on a slow PostgreSQL', () => {
  it('unauthenticated reads stuck on a locked table do not stop add-checkpoint; beyond the cap they get 503 at once', {
    timeout: 90_000,
  }, async () => {
    const first = await cosignNext(5);
    expect(first.status, first.body).toBe(200);

    // GET /evidence reads witness_evidence; cosigning a consistent checkpoint never touches it.
    const release = await lockTable('witness_evidence');
    try {
      const reads = Array.from({ length: 120 }, () => timed('/evidence'));
      await sleep(500); // the reads hold every read connection and fill the queue

      // While the reads queue is full: /health says so at once, and shows each pool.
      const health = await timed('/health');
      expect(health.ms).toBeLessThan(2000);
      expect(health.status).toBe(503);
      const h = JSON.parse(health.body);
      expect(h.database).toBe('busy');
      expect(h.pools.reads).toMatchObject({ max: 8, connections: 8 });
      expect(h.pools.reads.waiting).toBeGreaterThan(0);
      expect(h.pools.reads.waiting).toBeLessThanOrEqual(64);
      expect(h.pools.reads.refused).toBeGreaterThan(0);
      expect(h.pools.checks.max).toBe(3);
      expect(h.pools.writer.max).toBe(2);

      const cosigned: Timed[] = [];
      for (let i = 0; i < 6; i++) cosigned.push(await cosignNext(3));
      for (const c of cosigned) {
        expect(c.status, c.body).toBe(200);
        expect(c.ms).toBeLessThan(3000);
      }
      verifyCosignature(log.checkpoint(cosignedSize), cosigned.at(-1)!.body, vkey);

      const answered = await Promise.all(reads);
      for (const r of answered) {
        expect(r.status, r.body).toBe(503);
        expect(r.ms).toBeLessThan(15_000);
      }
      // Beyond the queue's cap a read is refused at once instead of waiting.
      const refusedAtOnce = answered.filter((r) => r.ms < 2000);
      expect(refusedAtOnce.length).toBeGreaterThanOrEqual(120 - 8 - 64);
      for (const r of refusedAtOnce) expect(JSON.parse(r.body)).toEqual(BUSY);

      const metrics = (await timed('/metrics')).body;
      expect(metric(metrics, /^fleetlog_witness_database_busy_total\{pool="reads"\} (\d+)$/m)).toBeGreaterThanOrEqual(
        120 - 8 - 64,
      );
      expect(metric(metrics, /^fleetlog_witness_database_busy_total\{pool="checks"\} (\d+)$/m)).toBe(0);
      expect(metric(metrics, /^fleetlog_witness_database_connections\{pool="writer"\} (\d+)$/m)).toBeLessThanOrEqual(2);
    } finally {
      await release();
    }
    // The lock gone, reads work again and the cosigned state is the newest.
    expect((await timed('/evidence')).status).toBe(200);
    const cp = await timed(`/${originHash(log.origin)}/checkpoint`);
    expect(parseCheckpointNote(cp.body).checkpoint.size).toBe(cosignedSize);
    const after = JSON.parse((await timed('/health')).body);
    expect(after).toMatchObject({ status: 'ok', database: 'ok' });
    expect(after.pools.reads.waiting).toBe(0);
  });

  it('add-checkpoint requests stuck on a locked table: beyond the checks queue they get 503 at once, reads go on', {
    timeout: 90_000,
  }, async () => {
    // Anyone can send a parsable request for a log the witness does not know: it costs a read of
    // the log's keys before any signature is checked.
    const stranger = new TestLog('example.com/not-configured').grow(2);
    expect((await cosignNext(1)).status).toBe(200);
    const release = await lockTable('witness_log_keys');
    try {
      const checks = Array.from({ length: 100 }, () =>
        timed('/add-checkpoint', { method: 'POST', body: stranger.body(0) }),
      );
      await sleep(500);
      // The reads have their own pool: the cosigned checkpoint is still served.
      const cp = await timed(`/${originHash(log.origin)}/checkpoint`);
      expect(cp.status, cp.body).toBe(200);
      expect(cp.ms).toBeLessThan(2000);
      const answered = await Promise.all(checks);
      for (const r of answered) {
        expect(r.status, r.body).toBe(503);
        expect(r.ms).toBeLessThan(15_000);
      }
      const refusedAtOnce = answered.filter((r) => r.ms < 2000);
      expect(refusedAtOnce.length).toBeGreaterThanOrEqual(100 - 3 - 64);
      for (const r of refusedAtOnce) expect(JSON.parse(r.body)).toEqual(BUSY);
      const h = JSON.parse((await timed('/health')).body);
      expect(h.pools.checks.refused).toBeGreaterThanOrEqual(100 - 3 - 64);
    } finally {
      await release();
    }
    const after = await cosignNext(1);
    expect(after.status, after.body).toBe(200);
  });
});
