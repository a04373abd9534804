/**
 * Static tiles: a log of 64k entries (built through the storage layer in bulk) is published to a
 * directory by the static publisher, then Debian's nginx serves it with the repository's
 * configuration (deploy/nginx/fleetlog-tiles.conf). Figures:
 *   1. full hash tile reads/s (random tiles of 8 KiB) through nginx vs the same nginx serving one
 *      plain 8 KiB file from a bare server block: same client (node:http keep-alive agents), both
 *      loads at the same time (16 clients each) in three 1.5 s windows, so a noisy machine slows
 *      both alike; goal >= 0.9x;
 *   2. entry bundle reads/s with gzip (gzip_static) vs a plain file of a gzipped bundle's size;
 *   3. how fast the publisher writes a log it has never published (entries/s, every file fsynced).
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { formatTileIndex } from '../core/merkle/tiles.ts';
import { dbPath } from '../log-server/data-dir.ts';
import { initLog } from '../log-server/index.ts';
import { ProofService } from '../log-server/proofs.ts';
import { StaticPublisher } from '../log-server/static-publisher.ts';
import { SqliteLogStorage } from '../log-server/storage/sqlite-storage.ts';
import { TileReader } from '../log-server/tile-reader.ts';
import { silentLogger } from '../service/logger.ts';
import { startNginx } from '../test/support/nginx.ts';
import { removeTempDirs, tempDir } from '../test/support/process.ts';
import { growWithSyntheticEntries } from './synthetic-entries.ts';
import { figure, type Figure } from './harness.ts';
import { httpGetLoad } from './http-load.ts';

const ENTRIES = 65_536;
const CLIENTS = 32;
const READ_MS = 1500;
const ROUNDS = 3;

/** Publishes the log's newest checkpoint into `dir`; returns the seconds it took. */
async function publish(storage: SqliteLogStorage, dir: string, origin: string, vkey: string): Promise<number> {
  const { checkpoint } = await storage.head();
  const started = performance.now();
  const publisher = await StaticPublisher.open({
    dir,
    origin,
    vkey,
    storage,
    tiles: new TileReader(storage),
    proofs: new ProofService(storage),
    published: () => checkpoint,
    logger: silentLogger,
  });
  await publisher.close(); // close() runs the round that publishes what is newest
  const failed = publisher.status().lastError;
  if (failed) throw new Error(`publication failed: ${failed}`);
  return (performance.now() - started) / 1000;
}

export async function run(): Promise<Figure[]> {
  const load = figure(
    'static tiles benchmarks: machine load average (1 min) at the start',
    loadavg()[0]!,
    'runnable processes',
  );
  const dir = tempDir('fleetlog-bench-static-');
  try {
    const dataDir = join(dir, 'log');
    const origin = 'bench.example/static';
    const { vkey } = await initLog({ dataDir, origin });
    const storage = SqliteLogStorage.open(dbPath(dataDir));
    let seconds: number;
    try {
      process.stderr.write(`  growing a log to ${ENTRIES} entries, then publishing it...\n`);
      await growWithSyntheticEntries(storage, dataDir, ENTRIES, 4096);
      seconds = await publish(storage, join(dir, 'public'), origin, vkey);
    } finally {
      await storage.close();
    }

    // The baseline: one plain 8 KiB file (a full hash tile's size) from a bare server block.
    const plainRoot = join(dir, 'plain');
    mkdirSync(plainRoot);
    writeFileSync(join(plainRoot, 'file'), new Uint8Array(8192).fill(7));
    // And one as large as a gzipped entry bundle, the bundles' baseline.
    const gzSize = statSync(join(dir, 'public/tile/entries/000.gz')).size;
    writeFileSync(join(plainRoot, 'gz-sized'), new Uint8Array(gzSize).fill(7));
    const nginx = await startNginx(join(dir, 'public'), {
      extraServers: `    server {\n        listen 127.0.0.1:@PORT@;\n        root ${plainRoot};\n        types { }\n        default_type application/octet-stream;\n    }`,
    });
    const tiles = ENTRIES / 256;
    const randomTile = (): string => `/tile/0/${formatTileIndex(Math.floor(Math.random() * tiles))}`;
    const randomBundle = (): string => `/tile/entries/${formatTileIndex(Math.floor(Math.random() * tiles))}`;
    const gzip = { 'accept-encoding': 'gzip' };
    let tileRate = 0;
    let bundleRate = 0;
    let plainRate = 0;
    let gzSizedRate = 0;
    try {
      const tilesVsPlain = [
        { url: nginx.url, nextPath: randomTile },
        { url: nginx.extraUrl, nextPath: () => '/file' },
      ];
      const bundlesVsPlain = [
        { url: nginx.url, nextPath: randomBundle, headers: gzip },
        { url: nginx.extraUrl, nextPath: () => '/gz-sized' },
      ];
      const clientsPerStream = CLIENTS / 2;
      await httpGetLoad(tilesVsPlain, { clientsPerStream, ms: 500 }); // warm up
      // Each pair side by side in the same window; summed over several windows.
      for (let round = 0; round < ROUNDS; round++) {
        const [t, p] = await httpGetLoad(tilesVsPlain, { clientsPerStream, ms: READ_MS });
        const [b, g] = await httpGetLoad(bundlesVsPlain, { clientsPerStream, ms: READ_MS });
        tileRate += t! / ROUNDS;
        plainRate += p! / ROUNDS;
        bundleRate += b! / ROUNDS;
        gzSizedRate += g! / ROUNDS;
      }
    } finally {
      await nginx.stop();
    }
    const baseline = {
      name: 'the same nginx serving one plain 8 KiB file, same client, side by side',
      value: plainRate,
    };
    return [
      load,
      figure(
        `full hash tile reads/s through nginx (random of ${tiles}, ${CLIENTS / 2} keep-alive clients)`,
        tileRate,
        'requests/s',
        baseline,
      ),
      figure('entry bundle reads/s through nginx, gzip_static (random, same clients)', bundleRate, 'requests/s', {
        name: `the same nginx serving one plain file of a gzipped bundle's size (${gzSize} bytes), side by side`,
        value: gzSizedRate,
      }),
      figure(
        `static publisher: first publication of a ${ENTRIES}-entry log (every file fsynced)`,
        ENTRIES / seconds,
        'entries/s',
      ),
      figure('static tiles benchmarks: machine load average (1 min) at the end', loadavg()[0]!, 'runnable processes'),
    ];
  } finally {
    removeTempDirs();
  }
}
