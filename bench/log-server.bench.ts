/**
 * log-server benchmark. The server runs as a child process (`fleetlog log serve`, with the
 * FLEETLOG_BENCH_ROUTES baseline routes), so its RSS is measured honestly; the load comes from this
 * process over keep-alive HTTP.
 *   1. appends/s with 64 concurrent clients (evidence + key set pairs, signatures checked, durable
 *      batches) vs POST /bench/noop on the same server with the same bodies;
 *   2. tile + inclusion-proof requests/s on a 1M-entry log vs GET /bench/static (8 KiB) on the
 *      same server;
 *   3. server RSS with 100k and 1M entries after serving reads and appends.
 * The 100k/1M-entry state is built through the storage layer in bulk (SqliteLogStorage.appendBatch
 * with synthetic opaque entries and real signed checkpoints), not over HTTP, to keep the run short.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { join } from 'node:path';
import { formatTileIndex } from '../core/merkle/tiles.ts';
import { freePort, startFleetlogServer, tempDir, type ServerProcess } from '../test/support/process.ts';
import { dbPath } from '../log-server/data-dir.ts';
import { addToken, initLog } from '../log-server/index.ts';
import { loadKeys, loadPolicyText } from '../log-server/load/keys.ts';
import { generatePairs, runLoad } from '../log-server/load/run-load.ts';
import { SqliteLogStorage } from '../log-server/storage/sqlite-storage.ts';
import { growWithSyntheticEntries } from './synthetic-entries.ts';
import { figure, type Figure } from './harness.ts';

const CLIENTS = 64;
const PAIRS = Number(process.env.FLEETLOG_BENCH_PAIRS ?? 1500);
const READ_MS = 3000;

async function startServer(dataDir: string, policyFile: string): Promise<ServerProcess> {
  const port = await freePort();
  return startFleetlogServer(
    ['log', 'serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`, '--policy', policyFile, '--no-witnesses'],
    `http://127.0.0.1:${port}`,
    {
      env: { FLEETLOG_BENCH_ROUTES: '1', FLEETLOG_LOG_LEVEL: 'warn' },
    },
  );
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+([0-9]+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** GET load for `ms` with `clients` keep-alive connections; returns requests/s (all must be 200). */
async function getLoad(url: string, nextPath: () => string, clients: number, ms: number): Promise<number> {
  const base = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  let done = 0;
  let bad = 0;
  const deadline = performance.now() + ms;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      get({ agent, hostname: base.hostname, port: base.port, path: nextPath() }, (res) => {
        if (res.statusCode !== 200) bad += 1;
        res.on('data', () => {});
        res.on('end', () => resolve());
        res.on('error', reject);
      }).on('error', reject);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        await one();
        done += 1;
      }
    }),
  );
  const rate = (done * 1000) / (performance.now() - started);
  agent.destroy();
  if (bad > 0) throw new Error(`${bad} of ${done} GETs were not 200`);
  return rate;
}

/** Grows a log to `target` entries through the storage layer: opaque entries, signed checkpoints. */
async function bulkGrow(dataDir: string, target: number): Promise<void> {
  const storage = SqliteLogStorage.open(dbPath(dataDir));
  try {
    await growWithSyntheticEntries(storage, dataDir, target);
  } finally {
    await storage.close();
  }
}

async function treeSize(url: string): Promise<number> {
  const health = (await (await fetch(`${url}/health`)).json()) as { size: number };
  return health.size;
}

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const dir = tempDir('fleetlog-bench-log-');
  try {
    const seed = 'bench';
    const keys = loadKeys(seed);
    const policyFile = join(dir, 'policy.txt');
    writeFileSync(policyFile, loadPolicyText(keys, seed));

    // 1. Appends vs the no-op POST route, same server, same bodies, interleaved, best of two each.
    const appendDir = join(dir, 'append');
    await initLog({ dataDir: appendDir, origin: 'bench.example/appends' });
    const token = await addToken({ dataDir: appendDir, name: 'bench' });
    process.stderr.write(`  appends: 2 rounds of ${PAIRS} evidence + key set pairs...\n`);
    const server = await startServer(appendDir, policyFile);
    let noop = 0;
    let appends = 0;
    let latency = { p50: 0, p99: 0 };
    try {
      for (let round = 0; round < 2; round++) {
        const pairs = generatePairs(keys, PAIRS);
        const base = await runLoad({ url: server.url, token, pairs, concurrency: CLIENTS, path: '/bench/noop' });
        const real = await runLoad({ url: server.url, token, pairs, concurrency: CLIENTS });
        if (real.failures > 0) throw new Error(`appends failed: ${JSON.stringify(real.errors)}`);
        noop = Math.max(noop, base.entriesPerSecond);
        if (real.entriesPerSecond > appends) {
          appends = real.entriesPerSecond;
          latency = real.latencyMs;
        }
      }
    } finally {
      await server.stop();
    }
    figures.push(
      figure('log-server appends/s (64 clients, durable, signatures checked)', appends, 'entries/s', {
        name: 'no-op POST /bench/noop, same server and bodies',
        value: noop,
      }),
    );
    figures.push(figure('log-server append latency p50 (64 clients)', latency.p50, 'ms'));
    figures.push(figure('log-server append latency p99 (64 clients)', latency.p99, 'ms'));

    // 2 and 3. A big log built in bulk: RSS at 100k and 1M, and read throughput at 1M.
    const bigDir = join(dir, 'big');
    await initLog({ dataDir: bigDir, origin: 'bench.example/big' });
    const bigToken = await addToken({ dataDir: bigDir, name: 'bench' });
    const rss: Record<string, number> = {};
    let readRate = 0;
    let staticRate = 0;
    for (const target of [100_000, 1_000_000]) {
      process.stderr.write(`  growing a log to ${target} entries through the storage layer...\n`);
      await bulkGrow(bigDir, target);
      const s = await startServer(bigDir, policyFile);
      try {
        const size = await treeSize(s.url);
        const fullTiles = Math.floor(size / 256);
        let i = 0;
        const mixed = (): string => {
          i += 1;
          const r = Math.floor(Math.random() * size);
          if (i % 3 === 0) return `/proof/inclusion?index=${r}&size=${size}`;
          if (i % 3 === 1) return `/tile/0/${formatTileIndex(Math.floor(Math.random() * fullTiles))}`;
          return `/tile/1/${formatTileIndex(Math.floor(Math.random() * Math.floor(fullTiles / 256)))}`;
        };
        // Warm both paths, then measure interleaved, best of two each.
        await getLoad(s.url, mixed, CLIENTS, 500);
        await getLoad(s.url, () => '/bench/static', CLIENTS, 500);
        if (target === 1_000_000) {
          for (let round = 0; round < 2; round++) {
            staticRate = Math.max(staticRate, await getLoad(s.url, () => '/bench/static', CLIENTS, READ_MS));
            readRate = Math.max(readRate, await getLoad(s.url, mixed, CLIENTS, READ_MS));
          }
        } else {
          await getLoad(s.url, mixed, CLIENTS, READ_MS);
        }
        // Some appends on the big log too, so the figure covers the write path's memory.
        await runLoad({ url: s.url, token: bigToken, pairs: generatePairs(keys, 500), concurrency: CLIENTS });
        rss[target] = rssMb(s.child.pid!);
      } finally {
        await s.stop();
      }
    }
    figures.push(
      figure('log-server tile + inclusion proof GETs/s at 1M entries (64 clients)', readRate, 'requests/s', {
        name: 'static 8 KiB GET /bench/static, same server',
        value: staticRate,
      }),
    );
    figures.push(figure('log-server RSS at 1M entries (after reads and appends)', rss[1_000_000]!, 'MB'));
    figures.push(figure('log-server RSS at 100k entries (after reads and appends)', rss[100_000]!, 'MB'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
