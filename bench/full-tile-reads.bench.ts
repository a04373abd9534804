/**
 * The server's CPU per request for random full entry tiles (issue 12: no cheap DoS) on a log whose
 * bundles do not fit the tile reader's caches: entries of ~1.4 kB that compress about 2x, as real
 * ones do, so each bundle is ~360 kB (~190 kB gzipped) and BUNDLES of them far exceed the 8 MB and
 * 4 MB caches. Requests go through the HTTP app in-process, one at a time; CPU is the process's
 * (every thread, so the libuv pool's gzip counts) per request. Also shown: the write path's added
 * cost, one gzip of a full bundle, which every 256 appends now pay once.
 */
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeEntryBundle } from '../core/entry-bundle.ts';
import { formatTileIndex } from '../core/merkle/tiles.ts';
import { dbPath } from '../log-server/data-dir.ts';
import { addToken, initLog, openLog } from '../log-server/index.ts';
import { loadKeys, loadPolicyText } from '../log-server/load/keys.ts';
import { SqliteLogStorage } from '../log-server/storage/sqlite-storage.ts';
import { silentLogger } from '../service/logger.ts';
import { tempDir } from '../test/support/process.ts';
import { figure, type Figure } from './harness.ts';
import { growWithSyntheticEntries } from './synthetic-entries.ts';
import { join } from 'node:path';

const BUNDLES = Number(process.env.FLEETLOG_BENCH_FULL_TILE_BUNDLES ?? 100);
const REQUESTS = Number(process.env.FLEETLOG_BENCH_FULL_TILE_REQUESTS ?? 300);
const PAD = 1300;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const rand = (n: number): number => Math.floor(Math.random() * n);

export async function run(): Promise<Figure[]> {
  const dir = tempDir('fleetlog-bench-full-tile-');
  const dataDir = join(dir, 'log');
  try {
    await initLog({ dataDir, origin: 'bench.example/full-tiles' });
    await addToken({ dataDir, name: 'bench' });
    process.stderr.write(`  growing a log of ${BUNDLES} full bundles of ~1.4 kB entries...\n`);
    const storage = SqliteLogStorage.open(dbPath(dataDir));
    await growWithSyntheticEntries(storage, dataDir, BUNDLES * 256 + 10, 2048, PAD);
    const sample = encodeEntryBundle(await storage.readEntries(0, 256));
    await storage.close();
    const seed = 'bench-full-tile';
    const log = await openLog({
      dataDir,
      policyText: loadPolicyText(loadKeys(seed), seed),
      logger: silentLogger,
      writerThread: false,
    });
    try {
      const full = () => `/tile/entries/${formatTileIndex(rand(BUNDLES))}`;
      const perRequest = async (
        headers: Record<string, string>,
        path = full,
      ): Promise<{ cpu: number; wall: number }> => {
        const c0 = cpuMs();
        const t0 = performance.now();
        for (let i = 0; i < REQUESTS; i++) {
          const r = await log.app.request(path(), { headers });
          if (r.status !== 200) throw new Error(`full tile answered ${r.status}`);
          await r.arrayBuffer();
        }
        return { cpu: (cpuMs() - c0) / REQUESTS, wall: (performance.now() - t0) / REQUESTS };
      };
      await perRequest({ 'accept-encoding': 'gzip' }); // warm-up (and, on an older log, the lazy backfill)
      const gz = await perRequest({ 'accept-encoding': 'gzip' });
      const plain = await perRequest({});
      // A narrower width of a full bundle: its rows, uncompressed, unless its compression is cached.
      const partial = await perRequest({ 'accept-encoding': 'gzip' }, () => `${full()}.p/${1 + rand(255)}`);
      // The other way to answer identity clients: inflate the stored gzip instead of reading rows.
      const g0 = cpuMs();
      for (let i = 0; i < REQUESTS; i++) gunzipSync((await log.service.storage.readBundleGzip(rand(BUNDLES)))!);
      const inflate = (cpuMs() - g0) / REQUESTS;
      const c0 = cpuMs();
      for (let i = 0; i < 20; i++) gzipSync(sample);
      const writeGzip = (cpuMs() - c0) / 20;
      const load = loadavg()[0]!.toFixed(2);
      process.stderr.write(
        `  ${BUNDLES} bundles of ${(sample.length / 1024).toFixed(0)} kB, ${REQUESTS} random full tiles each way, load ${load}:\n` +
          `    gzip:     ${gz.cpu.toFixed(2)} ms CPU, ${gz.wall.toFixed(2)} ms wall per request\n` +
          `    identity: ${plain.cpu.toFixed(2)} ms CPU, ${plain.wall.toFixed(2)} ms wall per request\n` +
          `    random .p/W of a full bundle, gzip: ${partial.cpu.toFixed(2)} ms CPU per request\n` +
          `    (identity by inflating the stored gzip instead: ${inflate.toFixed(2)} ms CPU per tile)\n` +
          `    write path: ${writeGzip.toFixed(2)} ms CPU per bundle compressed (once per 256 appends)\n`,
      );
      return [
        figure('log-server CPU per random full entry tile, gzip, log past the caches', gz.cpu, 'ms'),
        figure('log-server CPU per random full entry tile, identity, log past the caches', plain.cpu, 'ms'),
        figure(
          'log-server CPU per random partial width of a full entry tile, gzip, past the caches',
          partial.cpu,
          'ms',
        ),
        figure('log-server CPU to gzip one full entry bundle on the write path', writeGzip, 'ms'),
      ];
    } finally {
      await log.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
