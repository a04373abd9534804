import { describe, expect, it } from 'vitest';
import {
  Acceptor,
  MemoryAcceptorStore,
  type AcceptReply,
  type PrepareReply,
} from '../../simulator/consensus/acceptor.ts';
import type { Ballot } from '../../simulator/consensus/ballot.ts';
import { Proposer, majority, type ReplicaLink } from '../../simulator/consensus/proposer.ts';
import { SimNetwork } from '../../simulator/net/sim-network.ts';

const b = (round: number, node: number): Ballot => ({ round, node });
const bytes = (n: number): Uint8Array => Uint8Array.of(n);

describe('CASPaxos acceptor', () => {
  it('promises only to a ballot above every ballot seen', () => {
    const a = new Acceptor(new MemoryAcceptorStore());
    expect(a.prepare('k', b(1, 1))).toEqual({ ok: true, accepted: b(0, 0), value: null });
    expect(a.prepare('k', b(1, 1))).toEqual({ ok: false, promised: b(1, 1) });
    expect(a.prepare('k', b(1, 0))).toEqual({ ok: false, promised: b(1, 1) });
    expect(a.prepare('k', b(1, 2)).ok).toBe(true);
  });

  it('accepts at or above the promise, and a later prepare returns the accepted value', () => {
    const a = new Acceptor(new MemoryAcceptorStore());
    a.prepare('k', b(2, 1));
    expect(a.accept('k', b(1, 9), bytes(1))).toEqual({ ok: false, promised: b(2, 1) });
    expect(a.accept('k', b(2, 1), bytes(2))).toEqual({ ok: true });
    expect(a.prepare('k', b(3, 1))).toEqual({ ok: true, accepted: b(2, 1), value: bytes(2) });
    expect(a.accept('k', b(2, 1), bytes(9))).toEqual({ ok: false, promised: b(3, 1) });
  });

  it('keeps registers independent', () => {
    const a = new Acceptor(new MemoryAcceptorStore());
    a.prepare('x', b(5, 1));
    expect(a.prepare('y', b(1, 1)).ok).toBe(true);
  });
});

/** N in-memory acceptors behind a link that can mark replicas down and counts accept messages. */
function cluster(n: number) {
  const acceptors = Array.from({ length: n }, () => new Acceptor(new MemoryAcceptorStore()));
  const down = new Set<number>();
  let accepts = 0;
  const link: ReplicaLink = {
    replicas: acceptors.map((_, i) => `r${i}`),
    async prepare(r, key, ballot): Promise<PrepareReply> {
      const i = Number(r.slice(1));
      if (down.has(i)) throw new Error('down');
      return acceptors[i]!.prepare(key, ballot);
    },
    async accept(r, key, ballot, value): Promise<AcceptReply> {
      const i = Number(r.slice(1));
      accepts++;
      if (down.has(i)) throw new Error('down');
      return acceptors[i]!.accept(key, ballot, value);
    },
  };
  return { acceptors, down, link, accepts: () => accepts };
}

const increment = (current: Uint8Array | null) => {
  const next = (current?.[0] ?? 0) + 1;
  return { value: bytes(next), result: next };
};

describe('CASPaxos proposer', () => {
  it('majority of 5 is 3, of 4 is 3, of 1 is 1', () => {
    expect([majority(5), majority(4), majority(3), majority(1)]).toEqual([3, 3, 2, 1]);
  });

  it('commits with a bare majority and the value reaches every live replica', async () => {
    const c = cluster(5);
    c.down.add(0).add(1);
    const p = new Proposer(c.link, { node: 1 });
    expect((await p.propose('k', increment)).result).toBe(1);
    expect(c.acceptors.slice(2).map((a) => a.slot('k')?.value?.[0])).toEqual([1, 1, 1]);
    expect(c.acceptors[0]!.slot('k')).toBeUndefined();
  });

  it('fails closed without a majority of promises: no accept is ever sent, no replica changes', async () => {
    const c = cluster(5);
    await new Proposer(c.link, { node: 1 }).propose('k', increment);
    const before = c.acceptors.map((a) => a.slot('k')?.value?.[0]);
    const sent = c.accepts();
    c.down.add(0).add(1).add(2);
    await expect(new Proposer(c.link, { node: 2 }).propose('k', increment)).rejects.toMatchObject({
      code: 'unavailable',
    });
    expect(c.accepts()).toBe(sent);
    expect(c.acceptors.map((a) => a.slot('k')?.value?.[0])).toEqual(before);
  });

  it('a refusing change writes nothing', async () => {
    const c = cluster(3);
    await expect(
      new Proposer(c.link, { node: 1 }).propose('k', () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(c.accepts()).toBe(0);
  });

  it('reads reconcile: a stale minority replica is repaired by the next operation', async () => {
    const c = cluster(5);
    c.down.add(4);
    const p = new Proposer(c.link, { node: 1 });
    await p.propose('k', increment);
    await p.propose('k', increment);
    c.down.clear();
    expect(c.acceptors[4]!.slot('k')).toBeUndefined();
    const read = await p.propose('k', (cur) => ({ value: cur!, result: cur![0] }));
    expect(read.result).toBe(2);
    expect(c.acceptors[4]!.slot('k')?.value?.[0]).toBe(2);
  });

  it('competing proposers on a delaying network stay linearizable: each committed increment is unique', async () => {
    const net = new SimNetwork({ delayMs: () => (Math.random() < 0.5 ? 0 : 1) });
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const acceptors = new Map(ids.map((id) => [id, new Acceptor(new MemoryAcceptorStore())]));
    for (const id of ids) {
      net.attach(id, 'r', async (_from, m) => {
        const msg = m as { t: 'p' | 'a'; key: string; ballot: Ballot; value?: Uint8Array };
        const a = acceptors.get(id)!;
        return msg.t === 'p' ? a.prepare(msg.key, msg.ballot) : a.accept(msg.key, msg.ballot, msg.value!);
      });
    }
    const proposers = ids.map(
      (id, i) =>
        new Proposer(
          {
            replicas: ids,
            prepare: (to, key, ballot) => net.send(id, to, { t: 'p', key, ballot }) as Promise<PrepareReply>,
            accept: (to, key, ballot, value) =>
              net.send(id, to, { t: 'a', key, ballot, value }) as Promise<AcceptReply>,
          },
          { node: i + 1, maxAttempts: 50 },
        ),
    );
    let applied = 0;
    const counted = (cur: Uint8Array | null) => {
      applied++;
      return increment(cur);
    };
    const results = await Promise.allSettled(
      proposers.flatMap((p) => [p.propose('k', counted), p.propose('k', counted), p.propose('k', counted)]),
    );
    const committed = results
      .filter((r) => r.status === 'fulfilled')
      .map((r) => (r as PromiseFulfilledResult<{ result: number }>).value.result);
    expect(committed.length).toBeGreaterThan(0);
    expect(new Set(committed).size).toBe(committed.length);
    const final = await proposers[0]!.propose('k', (cur) => ({ value: cur!, result: cur![0]! }));
    expect(final.result).toBeGreaterThanOrEqual(Math.max(...committed));
    // A retried operation whose partial accept was adopted may count twice, never more than applied.
    expect(final.result).toBeLessThanOrEqual(applied);
  });

  it('a read that finds a register empty at a majority sends no accept and stores nothing', async () => {
    const c = cluster(5);
    const p = new Proposer(c.link, { node: 1 });
    const read = await p.propose('k', (cur) => ({ value: cur, result: cur }));
    expect(read).toMatchObject({ result: null, wrote: false });
    expect(c.accepts()).toBe(0);
    expect(c.acceptors.map((a) => a.keys().length)).toEqual([0, 0, 0, 0, 0]);
    // A write after it commits above the read's ballot: the read's promises do not block it.
    expect((await new Proposer(c.link, { node: 2 }).propose('k', increment)).result).toBe(1);
    expect((await p.propose('k', (cur) => ({ value: cur, result: cur?.[0] }))).result).toBe(1);
  });

  it('a change may leave only an empty register empty', async () => {
    const c = cluster(3);
    const p = new Proposer(c.link, { node: 1 });
    await p.propose('k', increment);
    await expect(p.propose('k', () => ({ value: null, result: 0 }))).rejects.toMatchObject({ code: 'internal' });
  });

  it('reads that leave an empty register empty stay linearizable among competing writers', async () => {
    // Real time: a read that answers "empty" must have begun before the first write completed
    // (otherwise it missed a committed write), and a read after a completed write sees a value.
    for (let round = 0; round < 5; round++) {
      const net = new SimNetwork({ delayMs: () => Math.floor(Math.random() * 3) });
      const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
      const acceptors = new Map(ids.map((id) => [id, new Acceptor(new MemoryAcceptorStore(), { emptyPromises: 2 })]));
      for (const id of ids) {
        net.attach(id, 'r', async (_from, m) => {
          const msg = m as { t: 'p' | 'a'; key: string; ballot: Ballot; value?: Uint8Array };
          const a = acceptors.get(id)!;
          return msg.t === 'p' ? a.prepare(msg.key, msg.ballot) : a.accept(msg.key, msg.ballot, msg.value!);
        });
      }
      const proposers = ids.map(
        (id, i) =>
          new Proposer(
            {
              replicas: ids,
              prepare: (to, key, ballot) => net.send(id, to, { t: 'p', key, ballot }) as Promise<PrepareReply>,
              accept: (to, key, ballot, value) =>
                net.send(id, to, { t: 'a', key, ballot, value }) as Promise<AcceptReply>,
            },
            { node: i + 1, maxAttempts: 50 },
          ),
      );
      let firstWriteDone = Number.POSITIVE_INFINITY;
      const reads: { start: number; end: number; value: number | undefined }[] = [];
      const ops: Promise<unknown>[] = [];
      let t = 0;
      const clock = () => ++t;
      for (const [i, p] of proposers.entries()) {
        const key = i % 2 === 0 ? 'k' : `other-${i}`; // traffic on other empty registers too
        for (let j = 0; j < 3; j++) {
          ops.push(
            (async () => {
              await new Promise((r) => setTimeout(r, Math.random() * 4));
              if (i === 0 && j === 1) {
                await p.propose('k', increment);
                firstWriteDone = Math.min(firstWriteDone, clock());
                return;
              }
              const start = clock();
              const out = await p.propose(key, (cur) => ({ value: cur, result: cur?.[0] }));
              if (key === 'k') reads.push({ start, end: clock(), value: out.result });
            })(),
          );
        }
      }
      await Promise.all(ops);
      for (const r of reads) {
        if (r.value === undefined) expect(r.start).toBeLessThan(firstWriteDone);
        if (r.start > firstWriteDone) expect(r.value).toBe(1);
      }
      expect(reads.length).toBeGreaterThan(0);
    }
  });
});
