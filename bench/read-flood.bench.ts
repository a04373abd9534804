/**
 * Unauthenticated reads must not starve writes. The log runs as a child process holding a few
 * thousand entries in as many fleets; 4 clients append (evidence entries) for a fixed time, first
 * alone (the baseline), then while 16 keep-alive connections flood one read route at a fixed rate
 * (FLEETLOG_BENCH_FLOOD_RATE, default 200 requests/s: the adversarial run's floods were 168/s), or
 * as fast as the server answers with FLEETLOG_BENCH_FLOOD_RATE=max. Each figure is the flooded
 * append rate against the unflooded one, measured in the same run; the goal is a ratio of at least
 * 0.5 for every route. The rate the flood reached is printed alongside (stderr).
 */
import { writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { formatTileIndex } from '../core/merkle/tiles.ts';
import { addToken, initLog } from '../log-server/index.ts';
import { loadKeys, loadPolicyText } from '../log-server/load/keys.ts';
import { generatePairs, runLoad } from '../log-server/load/run-load.ts';
import { syntheticPair } from '../log-server/load/synthetic.ts';
import { freePort, startFleetlogServer, tempDir } from '../test/support/process.ts';
import { figure, type Figure } from './harness.ts';

const APPEND_CLIENTS = 4;
const FLOOD_CLIENTS = 16;
const MEASURE_MS = Number(process.env.FLEETLOG_BENCH_FLOOD_MS ?? 3000);
const FLOOD_RATE =
  process.env.FLEETLOG_BENCH_FLOOD_RATE === 'max' ? Infinity : Number(process.env.FLEETLOG_BENCH_FLOOD_RATE ?? 200);
const FLEETS = Number(process.env.FLEETLOG_BENCH_FLOOD_FLEETS ?? 2000);
/** Only the routes whose name contains this (to profile one route). */
const ONLY = process.env.FLEETLOG_BENCH_FLOOD_ONLY ?? '';
/** Node options for the server alone, e.g. `--require ./profiler.cjs` (Node refuses --cpu-prof there). */
const SERVER_NODE_OPTIONS = process.env.FLEETLOG_BENCH_SERVER_NODE_OPTIONS;

/** Evidence-only appends from APPEND_CLIENTS keep-alive clients for `ms`; acknowledged entries/s. */
async function appendRate(url: string, token: string, seed: string, ms: number): Promise<number> {
  const keys = loadKeys(seed);
  let n = 0;
  let entries = 0;
  const deadline = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: APPEND_CLIENTS }, async () => {
      while (performance.now() < deadline) {
        const { evidence } = syntheticPair(keys, `flood-${process.pid}-${n++}-${Math.random()}`);
        const res = await fetch(`${url}/add-entry`, {
          method: 'POST',
          body: evidence as BodyInit,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        });
        await res.arrayBuffer();
        if (res.status === 200) entries += 1;
      }
    }),
  );
  return (entries * 1000) / (performance.now() - started);
}

/** Floods GETs until `stop` resolves; returns requests/s and how many were not 200. */
function flood(url: string, path: () => string, headers: Record<string, string>, stop: Promise<void>) {
  const base = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: FLOOD_CLIENTS });
  let done = 0;
  let bad = 0;
  let stopped = false;
  void stop.then(() => (stopped = true));
  const started = performance.now();
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      get({ agent, hostname: base.hostname, port: base.port, path: path(), headers }, (res) => {
        if (res.statusCode !== 200) bad += 1;
        res.resume();
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      }).on('error', () => resolve());
    });
  // Each connection sends its share of FLOOD_RATE on a fixed schedule (catching up when behind).
  const interval = (FLOOD_CLIENTS * 1000) / FLOOD_RATE;
  const clients = Array.from({ length: FLOOD_CLIENTS }, async (_, c) => {
    for (let k = 0; !stopped; k++) {
      const wait = started + (k + c / FLOOD_CLIENTS) * interval - performance.now();
      if (Number.isFinite(wait) && wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (stopped) break;
      await one();
      done += 1;
    }
  });
  return Promise.all(clients).then(() => {
    agent.destroy();
    return { rate: (done * 1000) / (performance.now() - started), bad };
  });
}

export async function run(): Promise<Figure[]> {
  const dir = tempDir('fleetlog-bench-flood-');
  const seed = 'bench-flood';
  const keys = loadKeys(seed);
  const policyFile = join(dir, 'policy.txt');
  writeFileSync(policyFile, loadPolicyText(keys, seed));
  const dataDir = join(dir, 'log');
  await initLog({ dataDir, origin: 'bench.example/flood' });
  const token = await addToken({ dataDir, name: 'bench' });
  const port = await freePort();
  const server = await startFleetlogServer(
    ['log', 'serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`, '--policy', policyFile, '--no-witnesses'],
    `http://127.0.0.1:${port}`,
    { env: { FLEETLOG_LOG_LEVEL: 'warn', ...(SERVER_NODE_OPTIONS ? { NODE_OPTIONS: SERVER_NODE_OPTIONS } : {}) } },
  );
  const figures: Figure[] = [];
  try {
    process.stderr.write(`  filling the log with ${FLEETS} fleets (evidence + key set each)...\n`);
    const fill = await runLoad({ url: server.url, token, pairs: generatePairs(keys, FLEETS), concurrency: 32 });
    if (fill.failures > 0) throw new Error(`fill failed: ${JSON.stringify(fill.errors)}`);
    const size = ((await (await fetch(`${server.url}/health`)).json()) as { size: number }).size;
    const fullTiles = Math.floor(size / 256);
    const rand = (n: number): number => Math.floor(Math.random() * n);
    const gzip = { 'accept-encoding': 'gzip' };
    const routes: Array<{ name: string; path: () => string; headers?: Record<string, string> }> = [
      { name: 'GET /fleets?limit=1000', path: () => '/fleets?limit=1000' },
      {
        name: 'GET /tile/entries/N.p/W (random partial widths, gzip)',
        path: () => `/tile/entries/${formatTileIndex(rand(fullTiles))}.p/${1 + rand(255)}`,
        headers: gzip,
      },
      {
        name: 'GET /tile/0/N.p/W (random partial widths)',
        path: () => `/tile/0/${formatTileIndex(rand(fullTiles))}.p/${1 + rand(255)}`,
      },
      {
        name: 'GET /tile/entries/N (full, gzip)',
        path: () => `/tile/entries/${formatTileIndex(rand(fullTiles))}`,
        headers: gzip,
      },
      { name: 'GET /proof/inclusion (random index)', path: () => `/proof/inclusion?index=${rand(size)}&size=${size}` },
      {
        name: 'GET /proof/consistency (random sizes)',
        path: () => `/proof/consistency?old=${1 + rand(size - 1)}&size=${size}`,
      },
      { name: 'GET /entry/N (random)', path: () => `/entry/${rand(size)}` },
      { name: 'GET /checkpoint', path: () => '/checkpoint' },
      { name: 'GET /health', path: () => '/health' },
      { name: 'GET /metrics', path: () => '/metrics' },
    ];
    // Warm up, then the unflooded baseline (best of two, before and after the floods).
    await appendRate(server.url, token, seed, 500);
    let unflooded = await appendRate(server.url, token, seed, MEASURE_MS);
    const results: Array<{ name: string; rate: number; floodRate: number }> = [];
    for (const route of routes.filter((r) => r.name.includes(ONLY))) {
      let release!: () => void;
      const stop = new Promise<void>((r) => (release = r));
      const flooding = flood(server.url, route.path, route.headers ?? {}, stop);
      await new Promise((r) => setTimeout(r, 200));
      const rate = await appendRate(server.url, token, seed, MEASURE_MS);
      release();
      const f = await flooding;
      if (f.bad > 0) process.stderr.write(`  warning: ${f.bad} non-200 answers flooding ${route.name}\n`);
      results.push({ name: route.name, rate, floodRate: f.rate });
      process.stderr.write(
        `  ${route.name}: appends ${rate.toFixed(0)}/s under a flood of ${f.rate.toFixed(0)} req/s\n`,
      );
    }
    unflooded = Math.max(unflooded, await appendRate(server.url, token, seed, MEASURE_MS));
    const floodName = Number.isFinite(FLOOD_RATE)
      ? `${FLOOD_RATE} req/s`
      : `${FLOOD_CLIENTS} connections at full speed`;
    for (const r of results)
      figures.push(
        figure(`log-server appends/s (4 clients) while ${floodName} flood ${r.name}`, r.rate, 'entries/s', {
          name: 'the same appends with no flood',
          value: unflooded,
        }),
      );
    process.stderr.write(
      `  load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}\n`,
    );
  } finally {
    await server.stop();
  }
  return figures;
}
