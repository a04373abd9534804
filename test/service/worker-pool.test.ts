/**
 * The WorkerPool contract (service/worker-pool.ts) on real worker threads: replies matched by id,
 * handler errors keep their code, and the dead-worker policy: calls held by a worker that crashes,
 * exits or cannot start settle with 'unavailable' (never hang); 'replace' starts a new worker,
 * 'fail-pool' fails every later call.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isFleetlogError } from '../../core/errors.ts';
import { WorkerPool, type WorkerPoolEvent, type WorkerPoolOptions } from '../../service/worker-pool.ts';
import type { TestRequest } from '../support/workers/test-worker.ts';

const ENTRY = new URL('../support/workers/test-worker.ts', import.meta.url);
const pools: Array<WorkerPool<TestRequest, unknown>> = [];

async function pool(
  options: Partial<WorkerPoolOptions> & Pick<WorkerPoolOptions, 'size' | 'onDeath'>,
): Promise<WorkerPool<TestRequest, unknown>> {
  const p = await WorkerPool.start<TestRequest, unknown>({ name: 'test pool', entry: ENTRY, ...options });
  pools.push(p);
  return p;
}

/** The error a promise rejects with, or a failure if it does not settle within `ms`. */
async function rejection(promise: Promise<unknown>, ms = 10_000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('did not settle')) throw e;
    return e;
  } finally {
    clearTimeout(timer);
  }
  throw new Error('resolved, expected a rejection');
}

function expectUnavailable(e: unknown, messagePart: string): void {
  expect(isFleetlogError(e, 'unavailable'), String(e)).toBe(true);
  expect((e as Error).message).toContain('test pool:');
  expect((e as Error).message).toContain(messagePart);
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('WorkerPool', () => {
  it('matches each reply to its call, across workers and out of order, and keeps handler error codes', async () => {
    const p = await pool({ size: 2, onDeath: 'replace' });
    // The slow call goes to one worker, the next call to the other (the least busy): it answers first.
    const slow = p.call({ op: 'delay', ms: 300, value: 'slow' });
    const fast = p.call({ op: 'echo', value: 'fast' });
    const order: unknown[] = [];
    await Promise.all([slow, fast].map((c) => c.then((v) => order.push(v))));
    expect(order).toEqual(['fast', 'slow']);
    // Many calls in one turn, spread over both workers: each gets its own answer.
    const many = Array.from({ length: 200 }, (_, i) => p.call({ op: 'echo', value: { i } }));
    expect(await Promise.all(many)).toEqual(Array.from({ length: 200 }, (_, i) => ({ i })));

    const refused = await rejection(p.call({ op: 'refuse' }));
    expect(isFleetlogError(refused, 'bad_entry')).toBe(true);
    expect((refused as Error).message).toBe('refused on purpose');
    const bug = await rejection(p.call({ op: 'throw' }));
    expect(isFleetlogError(bug, 'internal')).toBe(true);
    expect((bug as Error).message).toContain('a bug on purpose');
    // A handler error is an answer, not a death: both workers still serve.
    const threads = new Set(await Promise.all([1, 2, 3, 4].map(() => p.call({ op: 'thread' }))));
    expect(threads.size).toBe(2);
    expect(p.restarts).toBe(0);
  });

  it("'replace': a crashed worker's calls fail with a clear error, a new worker takes over", async () => {
    const events: WorkerPoolEvent[] = [];
    const p = await pool({ size: 1, onDeath: 'replace', restartDelayMs: 50, onEvent: (e) => events.push(e) });
    const before = await p.call({ op: 'thread' });
    const crash = p.call({ op: 'crash' });
    const queued = p.call({ op: 'echo', value: 'never answered by the dead worker' });
    expectUnavailable(await rejection(crash), 'crashed on purpose');
    expectUnavailable(await rejection(queued), 'a worker thread stopped');
    // While the only worker is being replaced, calls fail at once instead of waiting.
    expectUnavailable(await rejection(p.call({ op: 'echo', value: 1 })), 'no worker thread is running');
    await until(() => events.filter((e) => e.kind === 'ready').length === 2); // the first worker, then its replacement
    expect(await p.call({ op: 'echo', value: 'after' })).toBe('after');
    expect(await p.call({ op: 'thread' })).not.toBe(before);
    expect(p.restarts).toBe(1);
    expect(p.failure).toBeUndefined();
    expect(events[1]).toEqual({ kind: 'stopped', reason: 'crashed on purpose', replaced: true });
  });

  it("'fail-pool': a worker that exits fails its calls, the other worker's calls and every later call", async () => {
    const p = await pool({ size: 2, onDeath: 'fail-pool' });
    const held = p.call({ op: 'delay', ms: 2000, value: 'held' });
    const exit = p.call({ op: 'exit' });
    expectUnavailable(await rejection(exit), 'exit code 3');
    expectUnavailable(await rejection(held), 'the pool is stopped');
    expect(p.failure?.message).toContain('the pool is stopped');
    expect(await rejection(p.call({ op: 'echo', value: 1 }))).toBe(p.failure);
    expect(p.live).toBe(0);
  });

  it('a worker that cannot start rejects ready with the reason, is not restarted, and the pool fails', async () => {
    const p = new WorkerPool<TestRequest, unknown>({
      name: 'test pool',
      entry: ENTRY,
      size: 1,
      onDeath: 'replace',
      restartDelayMs: 10,
      workerData: { failStart: true },
    });
    pools.push(p);
    expectUnavailable(await rejection(p.ready), 'could not start: setup failed on purpose');
    await new Promise((r) => setTimeout(r, 200)); // 20 restart delays
    expect(p.restarts).toBe(0);
    expect(p.live).toBe(0);
    expect(await rejection(p.call({ op: 'echo', value: 1 }))).toBe(p.failure);
    expect(p.failure?.message).toContain('could not start');
  });

  it("a stuck worker: its calls fail with 'unavailable' after callTimeoutMs, it is stopped and replaced", async () => {
    const events: WorkerPoolEvent[] = [];
    const p = await pool({
      size: 1,
      onDeath: 'replace',
      restartDelayMs: 50,
      callTimeoutMs: 500,
      onEvent: (e) => events.push(e),
    });
    const before = await p.call({ op: 'thread' });
    const started = Date.now();
    const spin = p.call({ op: 'spin' });
    const queued = p.call({ op: 'echo', value: 'behind the stuck call' });
    expectUnavailable(await rejection(spin), 'did not answer within 500 ms, so it was stopped as stuck');
    expectUnavailable(await rejection(queued), 'did not answer within 500 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(p.timeouts).toBe(1);
    expect(p.status()).toMatchObject({ size: 1, timeouts: 1 });
    await until(() => events.filter((e) => e.kind === 'ready').length === 2);
    expect(await p.call({ op: 'echo', value: 'after' })).toBe('after');
    expect(await p.call({ op: 'thread' })).not.toBe(before);
    expect(p.status()).toEqual({ size: 1, live: 1, ready: 1, restarts: 1, timeouts: 1, failure: undefined });
  });

  it('a worker that answers slowly but steadily is not stuck, even over one batch longer than the deadline', async () => {
    const p = await pool({ size: 1, onDeath: 'fail-pool', callTimeoutMs: 400 });
    // Five calls in one turn travel in one batch: 5 x 150 ms > 400 ms, but each answer is progress.
    const calls = [1, 2, 3, 4, 5].map((i) => p.call({ op: 'delay', ms: 150, value: i }));
    expect(await Promise.all(calls)).toEqual([1, 2, 3, 4, 5]);
    expect(p.timeouts).toBe(0);
    expect(p.failure).toBeUndefined();
  });

  it('a reply that waits while the main thread is busy past the deadline is not taken for a stuck worker', async () => {
    const p = await pool({ size: 1, onDeath: 'fail-pool', callTimeoutMs: 200 });
    const answer = p.call({ op: 'delay', ms: 20, value: 'answered in time' });
    await new Promise((r) => setImmediate(r)); // the call is sent
    // The main thread is busy for twice the deadline: the reply and the deadline both wait.
    const until = Date.now() + 400;
    while (Date.now() < until) {
      /* busy */
    }
    expect(await answer).toBe('answered in time');
    expect(p.timeouts).toBe(0);
    expect(p.failure).toBeUndefined();
  });

  it("'fail-pool': a stuck worker fails the pool (for /health) instead of holding its calls", async () => {
    const p = await pool({ size: 1, onDeath: 'fail-pool', callTimeoutMs: 300 });
    expectUnavailable(await rejection(p.call({ op: 'spin' })), 'stopped as stuck');
    expect(p.failure?.message).toContain('the pool is stopped');
    expect(await rejection(p.call({ op: 'echo', value: 1 }))).toBe(p.failure);
    expect(p.live).toBe(0);
  });

  it('close() fails the calls in flight and every later call', async () => {
    const p = await pool({ size: 1, onDeath: 'replace' });
    const held = rejection(p.call({ op: 'delay', ms: 5000, value: 'held' }));
    await new Promise((r) => setTimeout(r, 20));
    await p.close();
    expectUnavailable(await held, 'closed before answering');
    expectUnavailable(await rejection(p.call({ op: 'echo', value: 1 })), 'the pool is closed');
  });

  it('refuses a pool without workers', () => {
    expect(() => new WorkerPool({ name: 'test pool', entry: ENTRY, size: 0, onDeath: 'replace' })).toThrow(
      /at least one worker/,
    );
  });
});

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
