// test:dist skip: a database fault test; what it checks does not depend on the build (scripts/test-dist.mjs).
// PostgreSQL goes away under a real `log serve` and a real `witness serve` (both --database, on a
// private server: test/support/private-postgres.ts) while entries are appended and cosigned:
//   - fast shutdown, kill -9 of the postmaster, and pg_terminate_backend of their sessions;
//   - meanwhile every failed request is a 503 with one fixed line that names nothing internal,
//     /health says the database is unreachable (503), /metrics shows it, and no process exits;
//   - when PostgreSQL is back both recover without a restart, every acknowledged entry is stored
//     at its index, no two checkpoints of one size were served, and the witness never rolled back.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../core/bytes.ts';
import { openCheckpoint } from '../../core/checkpoint.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { formatAddCheckpoint } from '../../core/witness-request.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { STATE_UNREADABLE } from '../../witness/check.ts';
import { originHash } from '../../witness/store.ts';
import { PrivatePostgres } from '../support/private-postgres.ts';
import { freePort, runFleetlog, startFleetlogServer, tempDir, type ServerProcess } from '../support/process.ts';
import { checkAnswer, KEYS, POLICY, type AddEntryAnswer } from './helpers.ts';

const ORIGIN = 'outage.example/log';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What a 503 must never contain: SQL, connection details, driver or errno text. */
const INTERNAL = /select|insert|update|postgres|127\.0\.0\.1|:\d{4,5}|econn|terminat|administrator|shutting/i;

let pgs: PrivatePostgres;
let log: ServerProcess;
let witness: ServerProcess;
let token: string;
let vkey: string;
const procs: ServerProcess[] = [];

afterAll(async () => {
  for (const p of procs) await p.stop('SIGKILL');
});

beforeAll(async () => {
  pgs = await PrivatePostgres.start();
  await pgs.query('CREATE DATABASE fleetlog');
  const database = pgs.url('fleetlog');
  const dir = tempDir('fleetlog-pg-outage-');
  const logDir = join(dir, 'log');
  const witnessDir = join(dir, 'witness');
  const init = await runFleetlog(['log', 'init', '--data', logDir, '--origin', ORIGIN, '--database', database]);
  expect(init.code, init.stderr).toBe(0);
  vkey = init.stdout.trim();
  const t = await runFleetlog(['log', 'token', 'add', '--data', logDir, '--name', 'e2e', '--database', database]);
  expect(t.code, t.stderr).toBe(0);
  token = t.stdout.trim();
  // The witness shares the database (its tables are prefixed), as a small deployment would.
  const w = await runFleetlog([
    'witness',
    'init',
    '--data',
    witnessDir,
    '--name',
    'w.example/w1',
    '--database',
    database,
  ]);
  expect(w.code, w.stderr).toBe(0);
  const a = await runFleetlog([
    ...['witness', 'add-log', '--data', witnessDir, '--database', database],
    ...['--origin', ORIGIN, '--vkey', vkey],
  ]);
  expect(a.code, a.stderr).toBe(0);
  const wPort = await freePort();
  witness = await startFleetlogServer(
    ['witness', 'serve', '--data', witnessDir, '--database', database, '--listen', `127.0.0.1:${wPort}`],
    `http://127.0.0.1:${wPort}`,
    { env: { FLEETLOG_LOG_LEVEL: 'warn' } },
  );
  procs.push(witness);
  const policyFile = join(dir, 'policy.txt');
  writeFileSync(
    policyFile,
    `${POLICY.replace('quorum none\n', '')}witness w1 ${w.stdout.trim()} ${witness.url}\nquorum w1\n`,
  );
  const lPort = await freePort();
  log = await startFleetlogServer(
    [
      ...['log', 'serve', '--data', logDir, '--database', database, '--policy', policyFile],
      ...['--listen', `127.0.0.1:${lPort}`, '--lease', '1s', '--witness-timeout', '2s'],
    ],
    `http://127.0.0.1:${lPort}`,
    { env: { FLEETLOG_LOG_LEVEL: 'warn' } },
  );
  procs.push(log);
}, 90_000);

/** Everything clients were told: acknowledged entries, served checkpoints, witness states, refusals. */
class Observer {
  readonly acked = new Map<number, string>();
  /** size -> root (hex) of every checkpoint served: in add-entry answers and at /checkpoint. */
  readonly served = new Map<number, string>();
  readonly refusals: Array<{ status: number; body: string }> = [];
  witnessSize = 0;
  /** The newest signed checkpoint note an answer carried (for a request straight to the witness). */
  lastNote = '';
  #stop = false;
  #loops: Promise<void>[] = [];

  serve(size: number, root: string): void {
    expect(this.served.get(size) ?? root, `two checkpoints of size ${size}`).toBe(root);
    this.served.set(size, root);
  }

  async submit(entry: Uint8Array): Promise<number> {
    let res: Response;
    try {
      res = await fetch(`${log.url}/add-entry`, {
        method: 'POST',
        body: entry as BodyInit,
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(20_000),
      });
    } catch {
      return 0; // no answer: not acknowledged
    }
    if (res.status !== 200) {
      this.refusals.push({ status: res.status, body: await res.text() });
      return res.status;
    }
    const answer = (await res.json()) as AddEntryAnswer;
    const cp = checkAnswer(answer, entry, vkey);
    this.serve(cp.size, toHex(cp.rootHash));
    this.lastNote = answer.checkpoint;
    const before = this.acked.get(answer.index);
    if (before) expect(before).toBe(answer.leafHash);
    this.acked.set(answer.index, answer.leafHash);
    return 200;
  }

  /** Appenders (retrying like a client), a /checkpoint reader and a witness watcher, until stop(). */
  start(count: number): void {
    const pairs = generatePairs(KEYS, count);
    let next = 0;
    const appender = async (): Promise<void> => {
      while (!this.#stop && next < pairs.length) {
        const entry = pairs[next++]!.evidence;
        while (!this.#stop && (await this.submit(entry)) !== 200) await sleep(50);
      }
    };
    const reader = async (): Promise<void> => {
      const verifier = ed25519NoteVerifier(vkey);
      while (!this.#stop) {
        const res = await fetch(`${log.url}/checkpoint`).catch(() => undefined);
        if (res?.status === 200) {
          const cp = openCheckpoint(await res.text(), [verifier]).checkpoint;
          this.serve(cp.size, toHex(cp.rootHash));
        } else await res?.arrayBuffer();
        const w = await fetch(`${witness.url}/${originHash(ORIGIN)}/checkpoint`).catch(() => undefined);
        if (w?.status === 200) {
          const size = Number((await w.text()).split('\n')[1]);
          expect(size, 'the witness rolled back').toBeGreaterThanOrEqual(this.witnessSize);
          this.witnessSize = size;
        } else await w?.arrayBuffer();
        await sleep(50);
      }
    };
    this.#loops = [appender(), appender(), appender(), appender(), reader()];
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#loops);
  }

  /** Waits until `n` more entries than now are acknowledged. */
  async moreAcked(n: number, timeoutMs = 20_000): Promise<void> {
    const target = this.acked.size + n;
    await until(`${n} more acknowledged entries`, async () => this.acked.size >= target, timeoutMs);
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function health(url: string): Promise<{ http: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
  return { http: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

function alive(): void {
  expect(log.child.exitCode, log.output()).toBeNull();
  expect(witness.child.exitCode, witness.output()).toBeNull();
}

/** While PostgreSQL is down: refusals are clean 503s, health and metrics say so, nobody exits. */
async function checkOutage(o: Observer): Promise<void> {
  await until('the log to report the database unreachable', async () => {
    const h = await health(log.url);
    return h.http === 503 && h.body.database === 'unreachable';
  });
  // Past the 1 s lease the log has stepped down: a follower with no failing batch of its own must
  // still say that the database is unreachable.
  await sleep(2000);
  const lh = await health(log.url);
  expect(lh.http).toBe(503);
  expect(lh.body).toMatchObject({ status: 'unavailable', database: 'unreachable', cluster: { role: 'follower' } });
  expect(await metric(log.url, 'fleetlog_log_database_up')).toBe(0);
  const wh = await health(witness.url);
  expect(wh.http).toBe(503);
  expect(wh.body).toMatchObject({ status: 'unavailable', database: 'unreachable' });
  expect(await metric(witness.url, 'fleetlog_witness_database_up')).toBe(0);
  // Reads that need the database are 503 too, quickly, with the same line.
  const t0 = Date.now();
  const entry = await fetch(`${log.url}/entry/0`);
  expect(entry.status).toBe(503);
  const logs = await fetch(`${witness.url}/logs`);
  expect(logs.status).toBe(503);
  // A well-formed add-checkpoint is judged against the stored state: that read fails the same way.
  const cosign = await fetch(`${witness.url}/add-checkpoint`, {
    method: 'POST',
    body: formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: o.lastNote }),
  });
  expect(cosign.status).toBe(503);
  expect(Date.now() - t0).toBeLessThan(12_000);
  expect(JSON.parse(await entry.text())).toEqual({
    code: 'unavailable',
    message: 'the database is unavailable; retry shortly',
  });
  for (const body of [await logs.text(), await cosign.text()])
    expect(JSON.parse(body)).toEqual({ code: 'unavailable', message: STATE_UNREADABLE });
  await until('refused submissions', async () => o.refusals.length > 0);
  for (const r of o.refusals) {
    expect(r.status, r.body).toBe(503);
    const { code, message } = JSON.parse(r.body) as { code: string; message: string };
    expect(code).toBe('unavailable');
    expect(message).not.toMatch(/\n/);
    expect(message, 'a 503 names something internal').not.toMatch(INTERNAL);
  }
  alive();
}

/** After PostgreSQL is back: both recover by themselves and nothing acknowledged is missing. */
async function checkRecovery(o: Observer): Promise<void> {
  await o.moreAcked(20);
  await until('the log to be healthy', async () => (await health(log.url)).body.status === 'ok');
  await until('the witness to be healthy', async () => (await health(witness.url)).body.status === 'ok');
  expect(await metric(log.url, 'fleetlog_log_database_up')).toBe(1);
  alive();
}

async function verify(o: Observer): Promise<void> {
  const rows = await pgs.query<{ idx: string; leaf_hash: Buffer }>(
    'SELECT idx, leaf_hash FROM log_entries',
    [],
    'fleetlog',
  );
  const stored = new Map(rows.map((r) => [Number(r.idx), toHex(r.leaf_hash)]));
  for (const [index, hash] of o.acked) expect(stored.get(index), `acknowledged entry ${index}`).toBe(hash);
  const cps = await pgs.query<{ size: string; root: Buffer }>('SELECT size, root FROM log_checkpoints', [], 'fleetlog');
  const roots = new Map(cps.map((r) => [Number(r.size), toHex(r.root)]));
  for (const [size, root] of o.served) expect(roots.get(size), `served checkpoint ${size}`).toBe(root);
  // The witness cosigned the log's tree as it grew: its state is a stored checkpoint of the log.
  const [w] = await pgs.query<{ tree_size: string; root_hash: Buffer }>(
    'SELECT tree_size, root_hash FROM witness_checkpoints',
    [],
    'fleetlog',
  );
  expect(roots.get(Number(w!.tree_size))).toBe(toHex(w!.root_hash));
  expect(Number(w!.tree_size)).toBeGreaterThanOrEqual(o.witnessSize);
}

describe('log and witness on PostgreSQL when PostgreSQL fails', () => {
  it('fast shutdown under load: clean 503s, health says so, both recover without a restart', {
    timeout: 90_000,
  }, async () => {
    const o = new Observer();
    o.start(600);
    await o.moreAcked(30);
    await pgs.stopFast();
    await checkOutage(o);
    await sleep(1500); // the outage lasts past the 1 s lease
    await pgs.resume();
    await checkRecovery(o);
    await o.stop();
    await verify(o);
  });

  it('kill -9 of the postmaster under load: the same', { timeout: 90_000 }, async () => {
    const o = new Observer();
    o.start(600);
    await o.moreAcked(30);
    await pgs.killPostmaster();
    await checkOutage(o);
    await pgs.resume();
    await checkRecovery(o);
    await o.stop();
    await verify(o);
  });

  it('pg_terminate_backend of every fleetlog session, again and again, loses nothing', {
    timeout: 90_000,
  }, async () => {
    const o = new Observer();
    o.start(600);
    await o.moreAcked(30);
    let killed = 0;
    for (let round = 0; round < 10; round++) {
      const rows = await pgs.query<{ n: string }>(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name LIKE 'fleetlog%'",
      );
      killed += Number(rows[0]!.n);
      await sleep(150);
    }
    expect(killed).toBeGreaterThan(10);
    for (const r of o.refusals) {
      expect(r.status, r.body).toBe(503);
      expect(r.body).not.toMatch(INTERNAL);
    }
    await checkRecovery(o);
    await o.stop();
    await verify(o);
  });
});
