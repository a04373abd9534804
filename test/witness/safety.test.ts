// Safety, one suite run against both stores (SQLite, and a real PostgreSQL): racing add-checkpoint
// requests (only one wins, also across two witness instances on one database; a smaller tree is
// never cosigned after a larger one), the compare-and-swap itself, a clock that goes backwards,
// and state that survives a restart without rolling back.
import { afterEach, describe, expect, it } from 'vitest';
import { parseCheckpointNote } from '../../core/checkpoint.ts';
import type { OpenWitness, WitnessHooks } from '../../witness/index.ts';
import type { NextState } from '../../witness/check.ts';
import { STATE_UNREADABLE } from '../../witness/check.ts';
import { PgWitnessStore } from '../../witness/pg-store.ts';
import Database from 'better-sqlite3';
import { pgQuery } from '../support/postgres.ts';
import { WitnessStore, originHash, type LogState } from '../../witness/store.ts';
import { join } from 'node:path';
import { WitnessFixture, type FixtureOptions, type Reply, type WitnessBackend } from './fixture.ts';
import type { TestLog } from './test-log.ts';

const fixtures: WitnessFixture[] = [];
const extra: OpenWitness[] = [];
afterEach(async () => {
  for (const w of extra.splice(0)) await w.close();
  for (const f of fixtures.splice(0)) await f.close();
});

/** The store's compare-and-swap and state read, as a second process would reach them. */
interface RawStore {
  state(origin: string): Promise<LogState | undefined> | LogState | undefined;
  compareAndSwap(expected: number | undefined, next: NextState): Promise<boolean> | boolean;
  close(): Promise<void> | void;
}

async function rawStore(fx: WitnessFixture): Promise<RawStore> {
  return fx.database ? PgWitnessStore.open(fx.database) : WitnessStore.open(join(fx.dataDir, 'witness.db'));
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** Hooks that stop the request for tree size `size` after it is judged and cosigned, before its compare-and-swap. */
function holdBeforeStore(size: number): { hooks: WitnessHooks; reached: Promise<void>; release: () => void } {
  const reached = gate();
  const held = gate();
  const hooks: WitnessHooks = {
    async beforeStore(_origin, treeSize) {
      if (treeSize !== size) return;
      reached.open();
      await held.wait;
    },
  };
  return { hooks, reached: reached.wait, release: held.open };
}

async function cosignedSize(fx: WitnessFixture, log: TestLog): Promise<number> {
  const reply = await fx.cosigned(log.origin);
  return parseCheckpointNote(reply.text).checkpoint.size;
}

const BACKENDS: WitnessBackend[] = ['SQLite', 'PostgreSQL'];

describe.each(BACKENDS)('on %s', (backend) => {
  async function setup(options: FixtureOptions = {}): Promise<{ fx: WitnessFixture; log: TestLog }> {
    const ready = await WitnessFixture.withLog(options, backend);
    fixtures.push(ready.fx);
    return ready;
  }

  describe('races', () => {
    it('two requests from the same old size that both pass the checks: exactly one wins', async () => {
      let racing = false;
      let arrived = 0;
      const bothChecked = gate();
      const { fx, log } = await setup({
        hooks: {
          async beforeStore() {
            if (!racing) return;
            arrived += 1;
            if (arrived === 2) bothChecked.open();
            await bothChecked.wait; // both have passed every check against size 10
          },
        },
      });
      log.grow(10);
      await fx.cosign(log, 0);
      log.grow(10);
      racing = true;
      const [a, b] = await Promise.all([fx.post(log.body(10, 15)), fx.post(log.body(10, 20))]);
      const replies = [a, b].sort((x, y) => x.status - y.status) as [Reply, Reply];
      expect(replies.map((r) => r.status)).toEqual([200, 409]);
      const winner = await cosignedSize(fx, log);
      expect([15, 20]).toContain(winner);
      expect(replies[1]).toMatchObject({ text: `${winner}\n`, contentType: 'text/x.tlog.size' });
    });

    it('a smaller tree checked first but stored last is refused after a larger one won', async () => {
      const hold = holdBeforeStore(15);
      const { fx, log } = await setup({ hooks: hold.hooks });
      log.grow(10);
      await fx.cosign(log, 0);
      log.grow(10);
      const small = fx.post(log.body(10, 15));
      await hold.reached; // checked against size 10, cosignature made, not yet stored
      await fx.cosign(log, 10, 20);
      hold.release();
      expect(await small).toEqual({ status: 409, contentType: 'text/x.tlog.size', text: '20\n' });
      expect(await cosignedSize(fx, log)).toBe(20);
    });

    it('the compare-and-swap holds across two witness instances (two connections) on one database', async () => {
      const hold = holdBeforeStore(15);
      const { fx, log } = await setup({ hooks: hold.hooks });
      const other = await fx.second();
      extra.push(other);
      log.grow(10);
      await fx.cosign(log, 0);
      log.grow(10);
      const small = fx.post(log.body(10, 15));
      await hold.reached;
      await fx.cosign(log, 10, 20, other);
      hold.release();
      expect((await small).text).toBe('20\n');
      expect(await cosignedSize(fx, log)).toBe(20);
    });

    it('twenty concurrent requests from one old size: one 200, nineteen 409 naming the winner', async () => {
      const { fx, log } = await setup();
      log.grow(10);
      await fx.cosign(log, 0);
      log.grow(20);
      const bodies = Array.from({ length: 20 }, (_, i) => log.body(10, 11 + i));
      const replies = await Promise.all(bodies.map((b) => fx.post(b)));
      const wins = replies.filter((r) => r.status === 200);
      expect(wins).toHaveLength(1);
      const winner = await cosignedSize(fx, log);
      for (const r of replies.filter((x) => x.status !== 200))
        expect(r).toEqual({ status: 409, contentType: 'text/x.tlog.size', text: `${winner}\n` });
    });

    it('the store refuses a swap from a state that has moved on', async () => {
      const { fx, log } = await setup();
      log.grow(3);
      await fx.cosign(log, 0);
      const store = await rawStore(fx);
      try {
        const seen = (await store.state(log.origin))!;
        const next = {
          origin: log.origin,
          treeSize: 5,
          rootHash: log.root(3),
          note: 'x',
          timestamp: seen.lastTimestamp,
        };
        expect(await store.compareAndSwap(2, next)).toBe(false); // wrong size
        expect(await store.compareAndSwap(seen.treeSize, { ...next, timestamp: seen.lastTimestamp - 1 })).toBe(false); // older timestamp
        expect(await store.compareAndSwap(undefined, next)).toBe(false); // "first insert" when a row exists
        expect(await store.state(log.origin)).toEqual(seen);
        // And from the state it read, exactly one of two swaps wins.
        const swaps = await Promise.all([
          store.compareAndSwap(seen.treeSize, next),
          store.compareAndSwap(seen.treeSize, { ...next, treeSize: 6 }),
        ]);
        expect(swaps.filter(Boolean)).toHaveLength(1);
        expect((await store.state(log.origin))!.treeSize).toBe(swaps[0] ? 5 : 6);
      } finally {
        await store.close();
      }
    });
  });

  describe('a state the witness cannot read', () => {
    it('is answered 503 with a fixed message that names nothing internal, and /health says unavailable', async () => {
      const { fx, log } = await setup();
      log.grow(3);
      await fx.cosign(log, 0);
      // What an unreachable or damaged database looks like to the queries: every table is gone.
      if (fx.database) await pgQuery(fx.database, 'DROP TABLE witness_log_keys, witness_checkpoints, witness_evidence');
      else {
        const db = new Database(join(fx.dataDir, 'witness.db'));
        db.exec('DROP TABLE log_keys; DROP TABLE checkpoints; DROP TABLE evidence;');
        db.close();
      }
      log.grow(1);
      const reply = await fx.post(log.body(3));
      expect(reply.status).toBe(503);
      expect(JSON.parse(reply.text)).toEqual({ code: 'unavailable', message: STATE_UNREADABLE });
      const health = await fx.get('/health');
      expect(health.status).toBe(503);
      expect(JSON.parse(health.text)).toMatchObject({ status: 'unavailable' });
      for (const path of ['/logs', '/evidence', `/${originHash(log.origin)}/checkpoint`]) {
        const read = await fx.get(path);
        expect(read.status, path).toBe(503);
        expect(JSON.parse(read.text)).toEqual({ code: 'unavailable', message: STATE_UNREADABLE });
      }
    });
  });

  describe('clock', () => {
    it('never issues a cosignature older than the last one for that log, even across a restart', async () => {
      let now = 2_000_000_000_000;
      const clock = (): number => now;
      const { fx, log } = await setup({ clock });
      log.grow(5);
      const t1 = await fx.cosignAndVerify(log, 0);
      expect(t1).toBe(2_000_000_000n);

      now = 1_000_000_000_000; // the clock jumps back 31 years
      log.grow(3);
      const t2 = await fx.cosignAndVerify(log, 5);
      expect(t2).toBe(t1);
      const again = await fx.cosignAndVerify(log, 8);
      expect(again).toBe(t1);

      await fx.reopen({ clock: () => 1_500_000_000_000 });
      log.grow(1);
      expect(await fx.cosignAndVerify(log, 8)).toBe(t1);

      await fx.reopen({ clock: () => 2_000_000_123_456 });
      log.grow(1);
      expect(await fx.cosignAndVerify(log, 9)).toBe(2_000_000_123n);
    });

    it('reports a clock behind a cosignature it already issued in /health and /metrics, and keeps the newer time', async () => {
      const { fx, log } = await setup({ clock: () => 2_000_000_000_000 });
      log.grow(3);
      await fx.cosignAndVerify(log, 0);
      expect(JSON.parse((await fx.get('/health')).text)).toMatchObject({ status: 'ok', clockBehindSeconds: 0 });

      await fx.reopen({ clock: () => 2_000_000_000_000 - 3_600_000 }); // restarted with its clock an hour back
      log.grow(2);
      expect(await fx.cosignAndVerify(log, 3)).toBe(2_000_000_000n);
      const health = await fx.get('/health');
      expect(health.status).toBe(200);
      expect(JSON.parse(health.text)).toMatchObject({ status: 'clock-behind', writes: 'ok', clockBehindSeconds: 3600 });
      expect((await fx.get('/metrics')).text).toContain('fleetlog_witness_clock_behind_seconds 3600\n');
    });

    it('the same checkpoint presented again within one second is answered from the stored state, without a commit', async () => {
      let now = 1_800_000_000_000;
      const { fx, log } = await setup({ clock: () => now });
      const commits = async (): Promise<number> =>
        Number(/fleetlog_witness_commit_batch_size_count (\d+)/.exec((await fx.get('/metrics')).text)?.[1]);
      log.grow(4);
      const first = await fx.cosign(log, 0);
      const before = await commits();
      for (let i = 0; i < 20; i++) expect((await fx.cosign(log, 4)).text).toBe(first.text);
      expect(await commits()).toBe(before);
      now += 1000; // a new second is a new statement: stored (once) before it is answered
      const later = await fx.cosign(log, 4);
      expect(later.text).not.toBe(first.text);
      expect(await commits()).toBe(before + 1);
      expect((await fx.cosigned(log.origin)).text).toBe(log.checkpoint(4) + later.text);
    });

    it('timestamps come from the witness clock, per log', async () => {
      const { fx, log } = await setup({ clock: () => 1_700_000_000_999 });
      log.grow(2);
      expect(await fx.cosignAndVerify(log, 0)).toBe(1_700_000_000n);
    });
  });

  describe('restart', () => {
    it('keeps the cosigned state and evidence across a reopen, and refuses to go back', async () => {
      const { fx, log } = await setup();
      log.grow(12);
      await fx.cosign(log, 0);
      const before = await fx.dump();
      await fx.reopen();
      expect(await fx.dump()).toEqual(before);
      expect(await fx.post(log.body(0, 12))).toMatchObject({ status: 409, text: '12\n' });
      expect(await fx.post(log.body(6, 6))).toMatchObject({ status: 409, text: '12\n' });
      log.grow(1);
      await fx.cosign(log, 12);
    });
  });
});
