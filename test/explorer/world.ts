/**
 * A real deployment for the browser tests: fleetlog's log-server cosigned by two fleetlog
 * witnesses (quorum: both), with two fleets published through POST /add-entry, and the pages
 * built fresh by scripts/build-pages.mjs into a temporary directory.
 */
import { join } from 'node:path';
import { buildPages } from '../../scripts/build-pages.mjs';
import { addToken, initLog, startLogServer } from '../../log-server/index.ts';
import { addLog, initWitness, startWitness } from '../../witness/index.ts';
import { silentLogger } from '../../service/logger.ts';
import { deployment, keyset, makeFleetKeys } from '../auditor/support/fleet-fixtures.ts';
import { tempDir } from '../support/process.ts';

export interface World {
  readonly log: { url: string; close(): Promise<void> };
  readonly witnesses: Array<{ url: string; vkey: string; dataDir: string; close(): Promise<void> }>;
  readonly policyText: string;
  readonly origin: string;
  /** The built pages: log/ and witness/. */
  readonly pages: string;
  /** Adds an entry and waits until the witnessed checkpoint covers it. */
  add(entry: Uint8Array): Promise<number>;
  readonly fleet: ReturnType<typeof makeFleetKeys>;
  close(): Promise<void>;
}

const DAY = 86400;

/** With `publishDir`, the log also keeps static tiles there (`log serve --publish-dir`). */
export async function startWorld(options: { publishDir?: string } = {}): Promise<World> {
  const dir = tempDir('fleetlog-explorer-');
  const pages = join(dir, 'pages');
  await buildPages(pages);
  const origin = 'explorer.test/fleetlog';
  const { vkey } = await initLog({ dataDir: join(dir, 'log'), origin });
  const token = await addToken({ dataDir: join(dir, 'log'), name: 'explorer' });
  const witnesses: World['witnesses'] = [];
  for (const n of [1, 2]) {
    const dataDir = join(dir, `w${n}`);
    const w = await initWitness({ dataDir, name: `witness${n}.explorer.test` });
    addLog({ dataDir, origin, vkey });
    const running = await startWitness({ dataDir, logger: silentLogger, threads: 0, pagesDir: join(pages, 'witness') });
    witnesses.push({ url: running.url, vkey: w.vkey, dataDir, close: () => running.close() });
  }
  const fleet = makeFleetKeys();
  const policyText = [
    `log ${vkey}`,
    ...witnesses.map((w, i) => `witness w${i + 1} ${w.vkey} ${w.url}`),
    'group both all w1 w2',
    'quorum both',
    `fleetlog publisher ${fleet.publisher.vkey}`,
    `fleetlog countersigner ${fleet.countersigner.vkey}`,
    `fleetlog hsm-vendor ${fleet.vendor.vkey}`,
    '',
  ].join('\n');
  const log = await startLogServer({
    dataDir: join(dir, 'log'),
    policyText,
    batchMaxWaitMs: 1,
    witnessRefreshIntervalMs: 0,
    logger: silentLogger,
    pagesDir: join(pages, 'log'),
    ...(options.publishDir ? { publishDir: options.publishDir } : {}),
  });
  let size = 0;
  const add = async (entry: Uint8Array): Promise<number> => {
    const res = await fetch(`${log.url}/add-entry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: Buffer.from(entry),
    });
    if (res.status !== 200) throw new Error(`add-entry: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    size += 1;
    for (let i = 0; i < 200; i++) {
      const text = await (await fetch(`${log.url}/checkpoint`)).text();
      if (Number(text.split('\n')[1]) >= size) return size - 1;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the witnessed checkpoint never reached size ${size}`);
  };
  return {
    log,
    witnesses,
    policyText,
    origin,
    pages,
    add,
    fleet,
    async close() {
      await log.close();
      for (const w of witnesses) await w.close();
    },
  };
}

/** Two fleets: fleet-a at version 2 (entries 0, 1, 4), fleet-b at version 1 (entries 2, 3), valid now. */
export async function publishFleets(world: World): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const window = (v: number) => ({ notBefore: now - 30 * DAY + v, notAfter: now + 365 * DAY + v });
  const a = deployment(world.fleet, 'fleet-a');
  const b = deployment(world.fleet, 'fleet-b', { hsms: 5 });
  await world.add(a.bytes);
  await world.add(keyset(world.fleet, 'fleet-a', 1, a, window(1)));
  await world.add(b.bytes);
  await world.add(keyset(world.fleet, 'fleet-b', 1, b, window(1)));
  await world.add(keyset(world.fleet, 'fleet-a', 2, a, window(2)));
}
