/**
 * PostgreSQL benchmark (issue 10). Servers run as child processes (`fleetlog log serve`) against a
 * real PostgreSQL on 127.0.0.1:5432, database fleetlog_pg_bench (recreated each run); baselines are
 * measured in the same run:
 *   1. appends/s with 64 clients on PostgreSQL vs the same load on SQLite (same bodies, interleaved,
 *      best of two each); append latency p50 and p99 on both;
 *   2. failover: two processes under load, kill -9 of the leader; time until the survivor leads and
 *      until the first append is acknowledged after the kill (two kills, the worst reported);
 *   3. log-server RSS on PostgreSQL at 100k and FLEETLOG_BENCH_PG_ENTRIES (default 1M) entries,
 *      after reads and appends. The log is grown in bulk through PgLogStorage.appendBatch (holding
 *      the lease, as the sequencer does), not over HTTP, to keep the run short.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { formatTileIndex } from '../core/merkle/tiles.ts';
import { LeaderLease } from '../log-server/cluster/lease.ts';
import { addToken, initLog } from '../log-server/index.ts';
import { loadKeys, loadPolicyText } from '../log-server/load/keys.ts';
import { generatePairs, runLoad } from '../log-server/load/run-load.ts';
import { PgLogStorage } from '../log-server/storage/pg-storage.ts';
import { freePort, startFleetlogServer, tempDir, type ServerProcess } from '../test/support/process.ts';
import { growWithSyntheticEntries } from './synthetic-entries.ts';
import { figure, type Figure } from './harness.ts';

const CLIENTS = 64;
const PAIRS = Number(process.env.FLEETLOG_BENCH_PAIRS ?? 1500);
const BIG = Number(process.env.FLEETLOG_BENCH_PG_ENTRIES ?? 1_000_000);
const SERVER = process.env.FLEETLOG_BENCH_PG_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
const DB = 'fleetlog_pg_bench';

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A fresh schema in the bench database for one log. */
async function freshSchema(name: string): Promise<string> {
  const c = new pg.Client({ connectionString: `${SERVER}/${DB}` });
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA ${name}`);
  } finally {
    await c.end();
  }
  return `${SERVER}/${DB}?options=${encodeURIComponent(`-c search_path=${name}`)}`;
}

async function serve(dataDir: string, policyFile: string, database?: string): Promise<ServerProcess> {
  const port = await freePort();
  return startFleetlogServer(
    [
      'log',
      'serve',
      '--data',
      dataDir,
      '--listen',
      `127.0.0.1:${port}`,
      '--policy',
      policyFile,
      '--no-witnesses', // quorum none: a benchmark of the log alone
      ...(database ? ['--database', database] : []),
    ],
    `http://127.0.0.1:${port}`,
    { env: { FLEETLOG_LOG_LEVEL: 'warn' } },
  );
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+([0-9]+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function role(url: string): Promise<string | undefined> {
  try {
    const h = (await (await fetch(`${url}/health`, { signal: AbortSignal.timeout(500) })).json()) as {
      cluster?: { role: string };
    };
    return h.cluster?.role;
  } catch {
    return undefined;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const t0 = performance.now();
  while (!(await check())) {
    if (performance.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Grows a PostgreSQL log to `target` entries in bulk, holding the lease like a sequencer. */
async function bulkGrow(url: string, dataDir: string, target: number): Promise<void> {
  const storage = await PgLogStorage.open(url, { max: 2 });
  const lease = new LeaderLease(storage.pool, 'bench bulk loader', 600_000);
  const token = await lease.tryAcquire(undefined);
  if (token === undefined) throw new Error('the lease is held; stop the servers first');
  storage.setFence(token);
  try {
    await growWithSyntheticEntries(storage, dataDir, target);
  } finally {
    await lease.release(token);
    await storage.close();
  }
}

/**
 * Two PostgreSQL processes under load; kill -9 the leader; ms until the survivor leads, and until
 * the first request sent after the kill is acknowledged (clients retry, moving to the survivor).
 */
async function failover(
  dataDir: string,
  policyFile: string,
  database: string,
  token: string,
  keys: ReturnType<typeof loadKeys>,
): Promise<Array<{ lead: number; ack: number }>> {
  const results: Array<{ lead: number; ack: number }> = [];
  let leader = await serve(dataDir, policyFile, database);
  await until(async () => (await role(leader.url)) === 'leader');
  let follower = await serve(dataDir, policyFile, database);
  try {
    for (let round = 0; round < 2; round++) {
      const targets = [leader.url, follower.url];
      let stop = false;
      let acked = 0;
      let killedAt = Number.POSITIVE_INFINITY;
      /** When the first request sent after the kill was acknowledged. */
      let firstAckAfterKill = 0;
      const pairs = generatePairs(keys, 2000);
      let next = 0;
      const worker = async (n: number): Promise<void> => {
        while (!stop && next < pairs.length) {
          const entry = pairs[next++]!.evidence;
          for (let attempt = 0; !stop; attempt++) {
            const url = targets[(n + attempt) % targets.length]!;
            const sentAt = performance.now();
            try {
              const res = await fetch(`${url}/add-entry`, {
                method: 'POST',
                body: entry as BodyInit,
                headers: { authorization: `Bearer ${token}` },
                signal: AbortSignal.timeout(10_000),
              });
              await res.arrayBuffer();
              if (res.status === 200) {
                acked += 1;
                if (sentAt > killedAt && firstAckAfterKill === 0) firstAckAfterKill = performance.now();
                break;
              }
            } catch {
              // the killed leader: retry elsewhere
            }
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      };
      const work = Promise.all(Array.from({ length: 16 }, (_, n) => worker(n)));
      await until(async () => acked >= 200);
      killedAt = performance.now();
      await leader.stop('SIGKILL');
      targets.splice(0, 1);
      await until(async () => (await role(follower.url)) === 'leader');
      const lead = performance.now() - killedAt;
      await until(async () => firstAckAfterKill > 0);
      const ack = firstAckAfterKill - killedAt;
      stop = true;
      await work;
      results.push({ lead, ack });
      process.stderr.write(
        `  failover ${round + 1}: led after ${lead.toFixed(0)} ms, first ack ${ack.toFixed(0)} ms\n`,
      );
      leader = follower;
      follower = await serve(dataDir, policyFile, database);
    }
  } finally {
    await leader.stop('SIGTERM');
    await follower.stop('SIGTERM');
  }
  return results;
}

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const dir = tempDir('fleetlog-bench-pg-');
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB}`);
  try {
    const seed = 'bench';
    const keys = loadKeys(seed);
    const policyFile = join(dir, 'policy.txt');
    writeFileSync(policyFile, loadPolicyText(keys, seed));

    // 1. Appends on PostgreSQL vs SQLite: same bodies, same clients, interleaved, best of two.
    const sqliteDir = join(dir, 'sqlite');
    await initLog({ dataDir: sqliteDir, origin: 'bench.example/sqlite' });
    const sqliteToken = await addToken({ dataDir: sqliteDir, name: 'bench' });
    const pgDir = join(dir, 'pg');
    const pgUrl = await freshSchema('appends');
    await initLog({ dataDir: pgDir, origin: 'bench.example/pg', database: pgUrl });
    const pgToken = await addToken({ dataDir: pgDir, name: 'bench', database: pgUrl });
    process.stderr.write(`  appends: 2 rounds of ${PAIRS} pairs on each backend...\n`);
    const sqliteServer = await serve(sqliteDir, policyFile);
    const pgServer = await serve(pgDir, policyFile, pgUrl);
    const best = { sqlite: { rate: 0, p50: 0, p99: 0 }, pg: { rate: 0, p50: 0, p99: 0 } };
    try {
      await until(async () => (await role(pgServer.url)) === 'leader');
      for (let round = 0; round < 2; round++) {
        const pairs = generatePairs(keys, PAIRS);
        for (const [name, url, token] of [
          ['sqlite', sqliteServer.url, sqliteToken],
          ['pg', pgServer.url, pgToken],
        ] as const) {
          const r = await runLoad({ url, token, pairs, concurrency: CLIENTS });
          if (r.failures > 0) throw new Error(`${name} appends failed: ${JSON.stringify(r.errors)}`);
          if (r.entriesPerSecond > best[name].rate)
            best[name] = { rate: r.entriesPerSecond, p50: r.latencyMs.p50, p99: r.latencyMs.p99 };
        }
      }
    } finally {
      await sqliteServer.stop();
      await pgServer.stop();
    }
    figures.push(
      figure('PostgreSQL log appends/s (64 clients, durable, signatures checked)', best.pg.rate, 'entries/s', {
        name: 'SQLite log, same load in the same run',
        value: best.sqlite.rate,
      }),
    );
    figures.push(figure('PostgreSQL append latency p50 (64 clients)', best.pg.p50, 'ms'));
    figures.push(figure('PostgreSQL append latency p99 (64 clients)', best.pg.p99, 'ms'));
    figures.push(figure('SQLite append latency p50 (64 clients, same run)', best.sqlite.p50, 'ms'));
    figures.push(figure('SQLite append latency p99 (64 clients, same run)', best.sqlite.p99, 'ms'));

    // 2. Failover after kill -9 of the leader under load (lease 3 s, the default).
    process.stderr.write('  failover: two processes, kill -9 of the leader under load, twice...\n');
    const rounds = await failover(pgDir, policyFile, pgUrl, pgToken, keys);
    figures.push(
      figure('failover: survivor leads after kill -9 (worst of 2)', Math.max(...rounds.map((r) => r.lead)), 'ms'),
    );
    figures.push(
      figure(
        'failover: first acknowledged append after kill -9 (worst of 2)',
        Math.max(...rounds.map((r) => r.ack)),
        'ms',
      ),
    );

    // 3. RSS on PostgreSQL at 100k and BIG entries, after reads and appends.
    const bigDir = join(dir, 'big');
    const bigUrl = await freshSchema('big');
    await initLog({ dataDir: bigDir, origin: 'bench.example/big', database: bigUrl });
    const bigToken = await addToken({ dataDir: bigDir, name: 'bench', database: bigUrl });
    for (const target of [100_000, BIG]) {
      process.stderr.write(`  growing a PostgreSQL log to ${target} entries...\n`);
      const grown = performance.now();
      await bulkGrow(bigUrl, bigDir, target);
      process.stderr.write(`  grown in ${((performance.now() - grown) / 1000).toFixed(0)} s\n`);
      const s = await serve(bigDir, policyFile, bigUrl);
      try {
        await until(async () => (await role(s.url)) === 'leader');
        const size = ((await (await fetch(`${s.url}/health`)).json()) as { size: number }).size;
        const fullTiles = Math.floor(size / 256);
        for (let i = 0; i < 2000; i++) {
          const r = Math.floor(Math.random() * size);
          const path =
            i % 2 === 0
              ? `/proof/inclusion?index=${r}&size=${size}`
              : `/tile/0/${formatTileIndex(Math.floor(Math.random() * fullTiles))}`;
          const res = await fetch(`${s.url}${path}`);
          if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
          await res.arrayBuffer();
        }
        const load = await runLoad({
          url: s.url,
          token: bigToken,
          pairs: generatePairs(keys, 500),
          concurrency: CLIENTS,
        });
        if (load.failures > 0) throw new Error(`appends failed: ${JSON.stringify(load.errors)}`);
        figures.push(
          figure(`PostgreSQL log-server RSS at ${target} entries (after reads and appends)`, rssMb(s.child.pid!), 'MB'),
        );
      } finally {
        await s.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
  return figures;
}
