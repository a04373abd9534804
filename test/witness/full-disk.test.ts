// A witness on a full disk (a real tmpfs filled to ENOSPC): every write answers 503 with a message
// that reveals nothing internal, /health says writes are failing, nothing is acknowledged, and
// once space is back the same request is cosigned. Inline writer and writer thread alike.
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../service/logger.ts';
import { addLog, initWitness, openWitness } from '../../witness/index.ts';
import { TinyDisk } from '../support/tiny-disk.ts';
import { replyOf } from './fixture.ts';
import { TestLog } from './test-log.ts';

const disks: TinyDisk[] = [];
afterAll(() => {
  for (const d of disks) d.unmount();
});

const canMount = TinyDisk.mount(64);
if (canMount) disks.push(canMount);

describe.skipIf(!canMount)('a witness whose disk is full', () => {
  for (const threads of [0, 1]) {
    it(`answers 503 without internals and reports it in /health (threads=${threads})`, async () => {
      const disk = TinyDisk.mount(1024)!;
      disks.push(disk);
      const dataDir = `${disk.dir}/w`;
      await initWitness({ dataDir, name: 'witness.example/full' });
      const log = new TestLog().grow(3);
      addLog({ dataDir, origin: log.origin, vkey: log.vkey });
      const lines: string[] = [];
      const logger = createLogger('witness', { level: 'info', write: (line) => lines.push(line) });
      const witness = openWitness({ dataDir, logger, threads });
      try {
        await witness.ready;
        const post = async (body: string) =>
          replyOf(await witness.app.request('/add-checkpoint', { method: 'POST', body }));
        disk.fill();
        const refused = await post(log.body(0));
        expect(refused.status).toBe(503);
        expect(refused.text).not.toMatch(/sqlite|disk|full|SQLITE|\/tmp|witness\.db/i);
        const health = await witness.app.request('/health');
        expect(health.status).toBe(503);
        expect(await health.json()).toMatchObject({ status: 'unavailable', writes: 'failing' });
        // Every request that reaches the disk fails while it is full; the log says so at most once a
        // minute (with a count), not once per request: anyone can send requests.
        for (let i = 0; i < 30; i++) expect((await post(log.body(0))).status).toBe(503);
        const failures = lines.filter((l) => /"level":"error"/.test(l) && /write|commit/.test(l));
        expect(failures.length).toBeGreaterThan(0);
        expect(failures.length).toBeLessThanOrEqual(2);

        disk.free();
        expect((await post(log.body(0))).status).toBe(200);
        const healed = await witness.app.request('/health');
        expect(healed.status).toBe(200);
        expect(await healed.json()).toMatchObject({ status: 'ok', writes: 'ok' });
      } finally {
        await witness.close();
      }
    });
  }
});
