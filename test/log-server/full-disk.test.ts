// The log on a full disk (a real tmpfs filled to ENOSPC): add-entry answers 503 with a message
// that reveals nothing internal, /health turns 503 with writes "failing" (it said "ok" before),
// /metrics shows it, and once space is back the log stores again and /health recovers.
import { afterAll, describe, expect, it } from 'vitest';
import { openLog } from '../../log-server/index.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { initLog, addToken } from '../../log-server/index.ts';
import { silentLogger } from '../../service/logger.ts';
import { TinyDisk } from '../support/tiny-disk.ts';
import { KEYS, POLICY } from './helpers.ts';

const disks: TinyDisk[] = [];
afterAll(() => {
  for (const d of disks) d.unmount();
});
const probe = TinyDisk.mount(64);
if (probe) disks.push(probe);

describe.skipIf(!probe)('a log whose disk is full', () => {
  for (const writerThread of [false, true]) {
    it(`answers 503 without internals and says so in /health and /metrics (writer thread: ${writerThread})`, async () => {
      const disk = TinyDisk.mount(2048)!;
      disks.push(disk);
      const dataDir = `${disk.dir}/log`;
      await initLog({ dataDir, origin: 'full.example/log' });
      const token = await addToken({ dataDir, name: 't' });
      const log = await openLog({ dataDir, policyText: POLICY, logger: silentLogger, writerThread });
      const pairs = generatePairs(KEYS, 3);
      const add = (body: Uint8Array) =>
        log.app.request('/add-entry', {
          method: 'POST',
          body: body as BodyInit,
          headers: { authorization: `Bearer ${token}` },
        });
      try {
        expect((await add(pairs[0]!.evidence)).status).toBe(200);
        disk.fill();
        const refused = await add(pairs[1]!.evidence);
        expect(refused.status).toBe(503);
        expect(await refused.text()).not.toMatch(/sqlite|disk|full|\/tmp|log\.db/i);
        const health = await log.app.request('/health');
        expect(health.status).toBe(503);
        expect(await health.json()).toMatchObject({ status: 'unavailable', writes: 'failing' });
        expect(await (await log.app.request('/metrics')).text()).toContain('fleetlog_log_writes_failing 1');

        disk.free();
        expect((await add(pairs[2]!.evidence)).status).toBe(200);
        const healed = await log.app.request('/health');
        expect(healed.status).toBe(200);
        expect(await healed.json()).toMatchObject({ status: 'ok', writes: 'ok' });
      } finally {
        await log.close();
      }
    });
  }
});
