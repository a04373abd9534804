/**
 * The storage writer on its own thread. A committed batch costs an fsync (synchronous=FULL); on
 * the serving thread that would stall every HTTP request for the duration. Here the serving thread
 * posts the batch and keeps serving; the promise resolves once the commit (and its fsync) is done.
 * Calls run strictly in order, one at a time (a pool of one worker): the single-writer rule holds.
 *
 * If the writer thread dies, the log cannot persist anything: the pool fails ('fail-pool'), the
 * writes in flight and every later write are refused with 'unavailable' (503), and nothing is
 * acknowledged that was not committed. A restart of the process recovers.
 */
import { WorkerPool } from '../../service/worker-pool.ts';
import type { IntegratedBatch } from './storage.ts';

export type WriterRequest =
  | { readonly op: 'append'; readonly batch: IntegratedBatch }
  | { readonly op: 'witness'; readonly witness: string; readonly size: number; readonly line: string | undefined }
  | { readonly op: 'published'; readonly size: number }
  | { readonly op: 'bundleGzip'; readonly tile: number; readonly gzip: Uint8Array }
  | { readonly op: 'close' };

export class WriterThread {
  readonly #pool: WorkerPool<WriterRequest, null>;

  private constructor(pool: WorkerPool<WriterRequest, null>) {
    this.#pool = pool;
  }

  static async start(path: string): Promise<WriterThread> {
    const pool = await WorkerPool.start<WriterRequest, null>({
      name: 'the storage writer',
      entry: new URL('./writer-worker-main.ts', import.meta.url),
      size: 1,
      workerData: { path },
      // Small heap limits: the writer holds one batch at a time, and every megabyte here is server RSS.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 },
      onDeath: 'fail-pool',
      // A commit (with its fsync) takes milliseconds; a writer stuck this long fails, and /health
      // answers 503, rather than hold every submission forever.
      callTimeoutMs: 60_000,
    });
    return new WriterThread(pool);
  }

  /** Why the writer can no longer commit, or undefined while it can. */
  get failure(): Error | undefined {
    return this.#pool.failure;
  }

  async call(request: WriterRequest): Promise<void> {
    await this.#pool.call(request);
  }

  async close(): Promise<void> {
    if (!this.#pool.failure) await this.call({ op: 'close' }).catch(() => {});
    await this.#pool.close();
  }
}
