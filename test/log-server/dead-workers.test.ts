/**
 * The log server's worker threads when one dies (policies of service/worker-pool.ts).
 *
 * Issue 12 item 8: a validation worker that dies must not hang `validate()`. Before the shared
 * WorkerPool, ValidationPool kept a worker that had raised 'error' and ignored 'exit', so every
 * later call sent to it never settled. Here the worker really dies (killed from outside, or by an
 * uncaught error inside it); the next call must settle at once, and a replacement must take over.
 */
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { utf8 } from '../../core/bytes.ts';
import { isFleetlogError } from '../../core/errors.ts';
import { signCheckpoint } from '../../core/checkpoint.ts';
import { EMPTY_ROOT } from '../../core/merkle/hash.ts';
import { generateKey, KEY_TYPE_ED25519, parseSignerKey } from '../../core/note/keys.ts';
import { ed25519NoteSigner } from '../../core/note/verifiers.ts';
import { openLog } from '../../log-server/index.ts';
import { SqliteLogStorage } from '../../log-server/storage/sqlite-storage.ts';
import { ValidationPool } from '../../log-server/validation/pool.ts';
import { silentLogger } from '../../service/logger.ts';
import { tempDir } from '../support/process.ts';
import { freshLog, POLICY } from './helpers.ts';

const spawned: Worker[] = [];
vi.mock('../../service/worker.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../service/worker.ts')>();
  return {
    ...original,
    startWorker: (...args: Parameters<typeof original.startWorker>) => {
      const worker = original.startWorker(...args);
      spawned.push(worker);
      return worker;
    },
  };
});

const GARBAGE = utf8('not an entry');
const pools: ValidationPool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  spawned.length = 0;
});

/** How `promise` settled, or 'hung' if it did not within `ms` (generous: a shared machine can be slow). */
async function settle(promise: Promise<unknown>, ms = 20_000): Promise<{ code: string } | 'resolved' | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  try {
    return await Promise.race([promise.then(() => 'resolved' as const), hung]);
  } catch (e) {
    return { code: isFleetlogError(e) ? e.code : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

async function waitForExit(worker: Worker): Promise<void> {
  if (worker.threadId === -1) return;
  await new Promise((resolve) => worker.once('exit', resolve));
}

describe('ValidationPool with a worker that dies', () => {
  for (const how of ['killed from outside', 'an uncaught error inside it'] as const) {
    it(`does not hang validate() after its only worker died (${how})`, async () => {
      const pool = await ValidationPool.start({ publishers: [], countersigners: [] }, 1);
      pools.push(pool);
      expect(await settle(pool.validate(GARBAGE))).toEqual({ code: 'bad_entry' }); // the worker answers
      const worker = spawned.at(-1)!;
      const exited = waitForExit(worker);
      if (how === 'killed from outside') await worker.terminate();
      else worker.postMessage(null); // a message its handler cannot read: it throws outside any call
      await exited;

      // Settles at once (503-style 'unavailable') instead of waiting for a dead thread.
      expect(await settle(pool.validate(GARBAGE), 10_000)).toEqual({ code: 'unavailable' });
      // And a replacement worker takes over.
      let answer = await settle(pool.validate(GARBAGE));
      // The replacement starts a second later, then loads (slow on a busy machine): wait up to 30 s.
      const deadline = Date.now() + 30_000;
      while (typeof answer === 'object' && answer.code === 'unavailable' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        answer = await settle(pool.validate(GARBAGE));
      }
      expect(answer).toEqual({ code: 'bad_entry' });
      expect(spawned.length).toBe(2);
    });
  }
});

describe('the log /health and /metrics with validation workers', () => {
  it('report a validation worker that stopped, as degraded, until its replacement is ready', async () => {
    const { dataDir } = await freshLog();
    const log = await openLog({ dataDir, policyText: POLICY, logger: silentLogger, validationWorkers: 1 });
    try {
      const health = async () => (await (await log.app.request('/health')).json()) as Record<string, unknown>;
      expect((await health()).status).toBe('ok');
      expect((await health()).validationWorkers).toEqual({
        size: 1,
        live: 1,
        ready: 1,
        restarts: 0,
        timeouts: 0,
      });
      const worker = spawned.at(-1)!;
      const exited = waitForExit(worker);
      await worker.terminate();
      await exited;
      const during = await health();
      expect(during.status).toBe('degraded');
      expect(during.validationWorkers).toMatchObject({ size: 1, ready: 0 });
      const deadline = Date.now() + 30_000;
      while (((await health()).validationWorkers as { ready: number }).ready < 1 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect((await health()).validationWorkers).toMatchObject({ ready: 1, restarts: 1, timeouts: 0 });
      expect((await health()).status).toBe('ok');
      const metrics = await (await log.app.request('/metrics')).text();
      expect(metrics).toMatch(/^fleetlog_log_validation_worker_restarts 1$/m);
      expect(metrics).toMatch(/^fleetlog_log_validation_workers_ready 1$/m);
      expect(metrics).toMatch(/^fleetlog_log_validation_worker_timeouts 0$/m);
    } finally {
      await log.close();
    }
  });
});

describe('ValidationPool on a worker', () => {
  it("leaves the caller's bytes intact when they are a Buffer view into a larger buffer", async () => {
    const pool = await ValidationPool.start({ publishers: [], countersigners: [] }, 1);
    pools.push(pool);
    // As a request body read from a socket: a Buffer over part of a larger ArrayBuffer.
    const backing = new ArrayBuffer(64);
    const body = Buffer.from(backing, 8, GARBAGE.length);
    body.set(GARBAGE);
    expect(await settle(pool.validate(body))).toEqual({ code: 'bad_entry' });
    expect(backing.byteLength).toBe(64); // not detached by a transfer
    expect(body.toString()).toBe('not an entry');
  });
});

describe('the storage writer thread when it dies', () => {
  it('refuses the write in flight and every later write with unavailable, and never hangs', async () => {
    const origin = 'dead-writer.test/log';
    const { skey, vkey } = generateKey(origin, KEY_TYPE_ED25519);
    const path = join(tempDir('fleetlog-dead-writer-'), 'log.db');
    const note = signCheckpoint({ origin, size: 0, rootHash: EMPTY_ROOT }, [ed25519NoteSigner(parseSignerKey(skey))]);
    const created = SqliteLogStorage.create(path, {
      origin,
      vkey,
      checkpoint: { size: 0, rootHash: EMPTY_ROOT, note, signedAtMs: 1 },
    });
    await created.close();
    const storage = await SqliteLogStorage.openWithWriterThread(path);
    try {
      expect(await settle(storage.recordWitness('w1', 0, undefined))).toBe('resolved');
      const worker = spawned.at(-1)!;
      const exited = waitForExit(worker);
      worker.postMessage(null); // an uncaught error in the writer thread
      await exited;
      expect(await settle(storage.recordWitness('w1', 0, undefined), 10_000)).toEqual({ code: 'unavailable' });
      // 'fail-pool': no replacement; every later write is refused too.
      await new Promise((r) => setTimeout(r, 1200));
      expect(await settle(storage.setPublishedSize(0), 10_000)).toEqual({ code: 'unavailable' });
      expect(spawned.length).toBe(1);
    } finally {
      await storage.close();
    }
  });
});
