/**
 * The witness's worker threads when one dies (policies of service/worker-pool.ts): a checking
 * worker is replaced and the request it held is refused 'unavailable' (503, the client retries);
 * the writer thread fails for good, its writes are refused and `healthy()` turns false, so /health
 * says so. Neither ever leaves a request hanging.
 */
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { utf8 } from '../../core/bytes.ts';
import { isFleetlogError } from '../../core/errors.ts';
import { silentLogger } from '../../service/logger.ts';
import { workerPoolChecker } from '../../witness/check-pool.ts';
import { initWitness } from '../../witness/index.ts';
import { witnessPaths } from '../../witness/paths.ts';
import { workerWriter } from '../../witness/writer.ts';
import { tempDir } from '../support/process.ts';

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

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  spawned.length = 0;
});

async function witnessDir(): Promise<ReturnType<typeof witnessPaths>> {
  const dataDir = tempDir('fleetlog-witness-dead-');
  await initWitness({ dataDir, name: 'witness.example/dead' });
  return witnessPaths(dataDir);
}

async function kill(worker: Worker): Promise<void> {
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  worker.postMessage(null); // an uncaught error in the worker, outside any call
  await exited;
}

const GARBAGE = utf8('not an add-checkpoint body');
const NOW = 1_700_000_000;

describe('witness worker threads that die', () => {
  it('checking: the request is refused unavailable, and a replacement worker takes over', async () => {
    const paths = await witnessDir();
    const checker = workerPoolChecker(1, { databasePath: paths.database, keyPath: paths.key }, silentLogger);
    closers.push(() => checker.close());
    await checker.ready;
    const refusalCode = async (): Promise<string> => {
      const outcome = await checker.check(GARBAGE, NOW);
      return outcome.kind === 'refuse' ? outcome.refusal.code : outcome.kind;
    };
    expect(await refusalCode()).toBe('bad_witness_request');
    await kill(spawned.at(-1)!);
    expect(await refusalCode()).toBe('unavailable');
    let code = await refusalCode();
    const deadline = Date.now() + 30_000; // the replacement starts a second later, then loads
    while (code === 'unavailable' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      code = await refusalCode();
    }
    expect(code).toBe('bad_witness_request');
    expect(spawned.length).toBe(2);
    // What the witness's /health shows as checkingWorkers.
    expect(checker.status?.()).toMatchObject({ size: 1, ready: 1, restarts: 1, timeouts: 0 });
  });

  it('writer: writes are refused unavailable from then on, and healthy() says so', async () => {
    const paths = await witnessDir();
    const writer = workerWriter(paths.database, silentLogger);
    closers.push(() => writer.close());
    await writer.ready;
    expect(writer.healthy()).toBe(true);
    await kill(spawned.at(-1)!);
    const job = { kind: 'cas' as const, expectedSize: undefined, next: {} as never };
    const error = await writer.write(job).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFleetlogError(error, 'unavailable'), String(error)).toBe(true);
    expect(writer.healthy()).toBe(false);
    await new Promise((r) => setTimeout(r, 1200)); // longer than any restart delay: none comes
    expect(spawned.length).toBe(1);
    expect(writer.healthy()).toBe(false);
  });
});
