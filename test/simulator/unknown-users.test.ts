// Requests for users that do not exist must not grow the HSMs' stores (issue 12, "no cheap denial
// of service"; specs/consensus.md §1.1): an unauthenticated recover-start for an unknown user id
// used to leave a row on every HSM (its promise, then an "empty" value written back), so each
// one grew every store for good and every later catch-up read it again.
import { join } from 'node:path';
import * as opaque from '@serenity-kit/opaque';
import { describe, expect, it } from 'vitest';
import { Acceptor, FLOOR_STEP, MemoryAcceptorStore } from '../../simulator/consensus/acceptor.ts';
import { compareBallots, type Ballot } from '../../simulator/consensus/ballot.ts';
import { SqliteAcceptorStore } from '../../simulator/consensus/sqlite-store.ts';
import { tempDir } from '../support/process.ts';
import { ceremoniedFleet, embeddedClient } from './support.ts';

const N = 60;

describe('requests for unknown users', () => {
  it('leave every HSM store the same size, and the catch-up does not grow with them', async () => {
    const dir = tempDir('fleetlog-unknown-users-');
    const stores = new Map<string, SqliteAcceptorStore>();
    const f = await ceremoniedFleet({
      store: (id) => {
        const s = new SqliteAcceptorStore(join(dir, `${id}.db`));
        stores.set(id, s);
        return s;
      },
    });
    try {
      await embeddedClient(f, 'alice').register('pw');
      const rows = () => [...stores.values()].map((s) => s.rowCount());
      expect(rows()).toEqual([1, 1, 1, 1, 1]);
      const [h1, h2] = f.fleet.hsms;
      await opaque.ready;
      for (let i = 0; i < N; i++) {
        const { startLoginRequest } = opaque.client.startLogin({ password: 'guess' });
        await expect(
          f.fleet
            .endpoint(f.fleet.hsms[i % 5]!.id)
            .call({ op: 'recover-start', userId: `nobody-${i}`, request: startLoginRequest }),
        ).rejects.toMatchObject({ code: 'forbidden', message: expect.stringMatching(/no backup is registered/) });
      }
      // Let late replies (sent to every replica, waited for only from a majority) land.
      await new Promise((r) => setTimeout(r, 50));
      expect(rows()).toEqual([1, 1, 1, 1, 1]);
      // An HSM that was away catches up on the one register that exists, not on the N requests.
      f.fleet.stop(h1!.id);
      for (let i = 0; i < N; i++) {
        const { startLoginRequest } = opaque.client.startLogin({ password: 'guess' });
        await expect(
          f.fleet.endpoint(h2!.id).call({ op: 'recover-start', userId: `away-${i}`, request: startLoginRequest }),
        ).rejects.toMatchObject({ code: 'forbidden' });
      }
      f.fleet.start(h1!.id);
      expect(h1!.stale).toBe(true);
      expect((await h1!.sync()).registers).toBe(1);
      // The real user is unaffected: still registered, and recovers with all guesses.
      expect((await embeddedClient(f, 'alice').recover('pw')).remaining).toBe(10);
      expect(rows()).toEqual([1, 1, 1, 1, 1]);
    } finally {
      for (const s of stores.values()) s.close();
    }
  }, 60_000);
});

describe('the promise floor of empty registers', () => {
  it('costs no row, and after a restart refuses ballots at or below every promise made before it', () => {
    const path = join(tempDir('fleetlog-floor-'), 'a.db');
    const s1 = new SqliteAcceptorStore(path);
    const a1 = new Acceptor(s1);
    for (let i = 1; i <= 100; i++) expect(a1.prepare(`vault/u${i}`, { round: i, node: 1 }).ok).toBe(true);
    expect(s1.rowCount()).toBe(0);
    s1.close();
    // Restarted: the per-register promises in memory are gone; the floor covers all of them.
    const s2 = new SqliteAcceptorStore(path);
    const a2 = new Acceptor(s2);
    const refused = a2.accept('vault/u7', { round: 7, node: 1 }, Uint8Array.of(1));
    expect(refused.ok).toBe(false);
    const floor = (refused as { promised: Ballot }).promised;
    expect(compareBallots(floor, { round: 100, node: 1 })).toBeGreaterThanOrEqual(0);
    expect(a2.prepare('vault/u100', { round: 100, node: 1 }).ok).toBe(false);
    expect(a2.prepare('vault/other', { round: 99, node: 9 }).ok).toBe(false);
    const above = { round: floor.round + 1, node: 1 };
    expect(a2.prepare('vault/u7', above).ok).toBe(true);
    expect(a2.accept('vault/u7', above, Uint8Array.of(1))).toEqual({ ok: true });
    expect(s2.rowCount()).toBe(1);
    s2.close();
  });

  it('a promise forgotten from memory (evicted) is still kept, through the floor', () => {
    const path = join(tempDir('fleetlog-floor-'), 'a.db');
    const s = new SqliteAcceptorStore(path);
    const a = new Acceptor(s, { emptyPromises: 2 });
    expect(a.prepare('x', { round: 5, node: 1 }).ok).toBe(true);
    expect(a.prepare('y', { round: 1, node: 2 }).ok).toBe(true); // registers stay independent
    expect(a.prepare('z', { round: 2, node: 2 }).ok).toBe(true); // evicts x's promise
    expect(a.accept('x', { round: 4, node: 1 }, Uint8Array.of(1)).ok).toBe(false);
    expect(a.prepare('x', { round: 5, node: 1 }).ok).toBe(false);
    expect(a.accept('y', { round: 1, node: 2 }, Uint8Array.of(1)).ok).toBe(true);
    s.close();
  });

  it('a stream of promises on empty registers costs one durable write per FLOOR_STEP rounds', () => {
    const store = new MemoryAcceptorStore();
    let writes = 0;
    const setFloor = store.setFloor.bind(store);
    store.setFloor = (b) => {
      writes++;
      setFloor(b);
    };
    const a = new Acceptor(store);
    for (let i = 1; i <= 1000; i++) expect(a.prepare(`vault/u${i}`, { round: i, node: 2 }).ok).toBe(true);
    expect(writes).toBeLessThanOrEqual(Math.ceil(1000 / FLOOR_STEP) + 1);
    expect(compareBallots(store.floor(), { round: 1000, node: 2 })).toBeGreaterThan(0);
  });
});
