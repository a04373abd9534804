/**
 * Unauthenticated reads must not starve writes (issue 12). The log runs in its own process, filled
 * with BULK_BUNDLES full bundles of synthetic entries, then FLEETS fleets (an evidence entry and a key set each); APPEND_CLIENTS clients append evidence
 * entries in windows of WINDOW_MS, alone or while FLOOD_CONNECTIONS keep-alive connections flood
 * one read route at FLOOD_RATE requests/s (default 200: the adversarial run's floods were 168/s;
 * `max` for as fast as the server answers). Appenders and flood each run in their own process, so
 * neither's CPU slows the other's event loop or this one's. Per route the windows alternate,
 * unflooded, flooded, unflooded, … (ROUNDS flooded ones), so a machine whose load drifts (a shared
 * disk's fsync time sets the append rate) moves both sides of the ratio alike. Goal: >= 0.5.
 *
 * The table (stderr) also shows the flood rate reached in the flooded windows (marked when short
 * of the rate asked for), the server's CPU (all its threads) and the flooding process's CPU (run
 * at FLOOD_NICE), and the 1-minute load average.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { dbPath } from '../log-server/data-dir.ts';
import { addToken, initLog } from '../log-server/index.ts';
import { SqliteLogStorage } from '../log-server/storage/sqlite-storage.ts';
import { loadKeys, loadPolicyText } from '../log-server/load/keys.ts';
import { generatePairs, runLoad } from '../log-server/load/run-load.ts';
import { freePort, startFleetlogServer, tempDir } from '../test/support/process.ts';
import { figure, type Figure } from './harness.ts';
import type { AppendResult } from './read-flood/appender.ts';
import { growWithSyntheticEntries } from './synthetic-entries.ts';
import { type Child, forkChild } from './read-flood/child.ts';
import { processCpuMs } from './read-flood/cpu.ts';
import type { FloodSample } from './read-flood/flooder.ts';
import { type FilledLog, floodRoutes } from './read-flood/routes.ts';

/** Each measured window of appends; a route gets ROUNDS flooded windows and ROUNDS + 1 unflooded ones. */
const WINDOW_MS = Number(process.env.FLEETLOG_BENCH_FLOOD_MS ?? 800);
const ROUNDS = Number(process.env.FLEETLOG_BENCH_FLOOD_ROUNDS ?? 3);
/** Before every window (a flood starting reaches its pace, one stopped drains); entries are signed then. */
const SETTLE_MS = Number(process.env.FLEETLOG_BENCH_FLOOD_SETTLE_MS ?? 250);
const FLOOD_RATE =
  process.env.FLEETLOG_BENCH_FLOOD_RATE === 'max' ? Infinity : Number(process.env.FLEETLOG_BENCH_FLOOD_RATE ?? 200);
/**
 * The flooding process's nice value. A real attacker's CPU is not the server's; on the bench's one
 * machine a niced flood takes CPU the server and appenders leave idle rather than a fair share of
 * it. The flood rate reached is in the table, so a flood starved this way shows. 0 to disable.
 */
const FLOOD_NICE = Number(process.env.FLEETLOG_BENCH_FLOOD_NICE ?? 10);
const FLEETS = Number(process.env.FLEETLOG_BENCH_FLOOD_FLEETS ?? 2000);
/**
 * Full entry bundles of ~1.4 kB synthetic entries written before the fleets, through storage (fast):
 * 64 bundles are ~22 MB of entries (~12 MB gzipped), well past the tile reader's 8 MB and 4 MB
 * caches, so the "past the caches" tile rows measure reads that miss them.
 */
const BULK_BUNDLES = Number(process.env.FLEETLOG_BENCH_FLOOD_BULK_BUNDLES ?? 64);
/** Only the routes whose name contains this (to profile one route). */
const ONLY = process.env.FLEETLOG_BENCH_FLOOD_ONLY ?? '';
/** Node options for the server alone, e.g. `--require ./profiler.cjs` (Node refuses --cpu-prof there). */
const SERVER_NODE_OPTIONS = process.env.FLEETLOG_BENCH_SERVER_NODE_OPTIONS;

/** Sums over a route's windows of one kind (flooded or not). */
interface Windows {
  entries: number;
  failures: number;
  signedLate: number;
  seconds: number;
  serverCpuMs: number;
  /** Per window, for the spread. */
  readonly rates: number[];
}

interface FloodTotals {
  requests: number;
  unexpected: number;
  status?: number;
  clientCpuMs: number;
  seconds: number;
}

interface Row {
  readonly route: string;
  readonly unflooded: Windows;
  readonly flooded: Windows;
  readonly flood: FloodTotals;
  readonly load1: number;
}

const rate = (w: Windows): number => w.entries / w.seconds;
const emptyWindows = (): Windows => ({ entries: 0, failures: 0, signedLate: 0, seconds: 0, serverCpuMs: 0, rates: [] });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<Figure[]> {
  const dir = tempDir('fleetlog-bench-flood-');
  const seed = 'bench-flood';
  const keys = loadKeys(seed);
  const policyFile = join(dir, 'policy.txt');
  writeFileSync(policyFile, loadPolicyText(keys, seed));
  const dataDir = join(dir, 'log');
  await initLog({ dataDir, origin: 'bench.example/flood' });
  const token = await addToken({ dataDir, name: 'bench' });
  if (BULK_BUNDLES > 0) {
    process.stderr.write(`  writing ${BULK_BUNDLES} full bundles of synthetic entries through storage...\n`);
    const storage = SqliteLogStorage.open(dbPath(dataDir));
    await growWithSyntheticEntries(storage, dataDir, BULK_BUNDLES * 256, 2048, 1300);
    await storage.close();
  }
  const port = await freePort();
  const server = await startFleetlogServer(
    ['log', 'serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`, '--policy', policyFile, '--no-witnesses'],
    `http://127.0.0.1:${port}`,
    { env: { FLEETLOG_LOG_LEVEL: 'warn', ...(SERVER_NODE_OPTIONS ? { NODE_OPTIONS: SERVER_NODE_OPTIONS } : {}) } },
  );
  const env = { FLEETLOG_BENCH_URL: server.url, FLEETLOG_BENCH_TOKEN: token, FLEETLOG_BENCH_SEED: seed };
  const children: Child[] = [];
  try {
    process.stderr.write(`  filling the log with ${FLEETS} fleets (evidence + key set each)...\n`);
    const pairs = generatePairs(keys, FLEETS);
    const fill = await runLoad({ url: server.url, token, pairs, concurrency: 32 });
    if (fill.failures > 0) throw new Error(`fill failed: ${JSON.stringify(fill.errors)}`);
    const size = ((await (await fetch(`${server.url}/health`)).json()) as { size: number }).size;
    const log: FilledLog = { size, fleetIds: pairs.map((p) => p.fleetId), bulkTiles: BULK_BUNDLES };
    const appender = forkChild(new URL('./read-flood/appender.ts', import.meta.url), env);
    const flooder = forkChild(new URL('./read-flood/flooder.ts', import.meta.url), env, FLOOD_NICE);
    children.push(appender, flooder);
    const serverCpu = () => processCpuMs(server.child.pid!) ?? Number.NaN;

    /** The append rates of the last few windows: the next window's entries are signed for the fastest. */
    const recent: number[] = [];

    /**
     * At least SETTLE_MS with nothing measured (a flood just started reaches its pace; one just
     * stopped drains), used to sign the next window's entries.
     */
    const settle = async (): Promise<void> => {
      const started = performance.now();
      const fastest = Math.max(200, ...recent.slice(-4));
      await appender.ask({ type: 'prepare', count: Math.ceil((fastest * WINDOW_MS * 1.3) / 1000) });
      await sleep(SETTLE_MS - (performance.now() - started));
    };

    /** One measured window of appends, added to `into`. */
    const window = async (into: Windows): Promise<void> => {
      const cpu0 = serverCpu();
      const a = await appender.ask<AppendResult>({ type: 'measure', ms: WINDOW_MS });
      into.serverCpuMs += serverCpu() - cpu0;
      into.entries += a.entries;
      into.failures += a.failures;
      into.signedLate += a.signedLate;
      into.seconds += a.seconds;
      into.rates.push(a.entries / a.seconds);
      recent.push(a.entries / a.seconds);
    };

    /** ROUNDS of (unflooded window, flooded window), then one more unflooded window. */
    const floodRoute = async (route: string): Promise<Row> => {
      const unflooded = emptyWindows();
      const flooded = emptyWindows();
      const flood: FloodTotals = { requests: 0, unexpected: 0, clientCpuMs: 0, seconds: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        await settle();
        await window(unflooded);
        await flooder.ask({ type: 'start', log, route, rate: Number.isFinite(FLOOD_RATE) ? FLOOD_RATE : null });
        await settle();
        const f0 = await flooder.ask<FloodSample>({ type: 'sample' });
        await window(flooded);
        const f1 = await flooder.ask<FloodSample>({ type: 'sample' });
        await flooder.ask({ type: 'stop' });
        flood.requests += f1.done - f0.done;
        flood.unexpected += f1.unexpected - f0.unexpected;
        flood.status ??= f1.sampleStatus;
        flood.clientCpuMs += f1.cpuMs - f0.cpuMs;
        flood.seconds += (f1.atMs - f0.atMs) / 1000;
      }
      await settle();
      await window(unflooded);
      return { route, unflooded, flooded, flood, load1: loadavg()[0]! };
    };

    process.stderr.write(`  log of ${size} entries; settling, then a warm-up window...\n`);
    await sleep(2000);
    await settle();
    await window(emptyWindows());
    const rows: Row[] = [];
    for (const route of floodRoutes(log).filter((r) => r.name.includes(ONLY))) {
      const row = await floodRoute(route.name);
      rows.push(row);
      process.stderr.write(
        `  ${route.name}: ${rate(row.flooded).toFixed(0)} appends/s flooded, ${rate(row.unflooded).toFixed(0)} not, ` +
          `flood ${(row.flood.requests / row.flood.seconds).toFixed(0)} req/s\n`,
      );
      const failures = row.flooded.failures + row.unflooded.failures;
      if (failures > 0) process.stderr.write(`  warning: ${failures} appends failed\n`);
      if (row.flood.unexpected > 0)
        process.stderr.write(`  warning: ${row.flood.unexpected} unexpected answers (e.g. ${row.flood.status})\n`);
    }
    process.stderr.write(table(rows));
    const floodName = Number.isFinite(FLOOD_RATE) ? `${FLOOD_RATE} req/s` : 'a full-speed';
    return rows.map((r) =>
      figure(`log-server appends/s (4 clients) while ${floodName} flood GET ${r.route}`, rate(r.flooded), 'entries/s', {
        name: 'the same appends with no flood (windows interleaved with the flooded ones)',
        value: rate(r.unflooded),
      }),
    );
  } finally {
    for (const c of children) await c.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true }); // the log grows by tens of MB per run
  }
}

function table(rows: readonly Row[]): string {
  const pct = (ms: number, seconds: number) => (Number.isNaN(ms) ? 'n/a' : `${(ms / 10 / seconds).toFixed(0)}%`);
  const lines = [
    '',
    `  Read flood at ${Number.isFinite(FLOOD_RATE) ? `${FLOOD_RATE} req/s` : 'full speed'}: per route ${ROUNDS} flooded ${WINDOW_MS} ms windows interleaved with ${ROUNDS + 1} unflooded ones, flood at nice ${FLOOD_NICE}; goal ratio >= 0.5`,
    '',
    '| route flooded (GET) | appends/s unflooded | appends/s flooded | ratio (per-round range) | flood req/s | server CPU flooded (unflooded) | flood client CPU | load avg 1m |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const ratio = rate(r.flooded) / rate(r.unflooded);
    // Each flooded window against the mean of the unflooded windows on either side of it.
    const rounds = r.flooded.rates.map((f, i) => f / ((r.unflooded.rates[i]! + r.unflooded.rates[i + 1]!) / 2));
    const f = r.flood;
    lines.push(
      `| ${r.route} | ${rate(r.unflooded).toFixed(0)} | ${rate(r.flooded).toFixed(0)} | ${ratio.toFixed(2)} (${Math.min(...rounds).toFixed(2)}–${Math.max(...rounds).toFixed(2)})${ratio < 0.5 ? ' below goal' : ''} | ${(f.requests / f.seconds).toFixed(0)}${Number.isFinite(FLOOD_RATE) && f.requests / f.seconds < 0.9 * FLOOD_RATE ? ' (short)' : ''}${f.unexpected > 0 ? ` (${f.unexpected} unexpected)` : ''} | ${pct(r.flooded.serverCpuMs, r.flooded.seconds)} (${pct(r.unflooded.serverCpuMs, r.unflooded.seconds)}) | ${pct(f.clientCpuMs, f.seconds)} | ${r.load1.toFixed(2)} |`,
    );
  }
  const late = rows.reduce((n, r) => n + r.flooded.signedLate + r.unflooded.signedLate, 0);
  lines.push(
    '',
    `  below goal: ${rows.filter((r) => rate(r.flooded) / rate(r.unflooded) < 0.5).length} of ${rows.length} routes; load average now ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}${late > 0 ? `; ${late} entries were signed inside a window` : ''}`,
    '',
  );
  return `${lines.join('\n')}\n`;
}
