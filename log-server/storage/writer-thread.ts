/**
 * The storage writer on its own thread. A committed batch costs an fsync (synchronous=FULL); on
 * the serving thread that would stall every HTTP request for the duration. Here the serving thread
 * posts the batch and keeps serving; the promise resolves once the commit (and its fsync) is done.
 * Calls run strictly in order, one at a time: the single-writer rule still holds.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../service/worker.ts';
import { FleetlogError, type ErrorCode } from '../../core/errors.ts';
import type { IntegratedBatch } from './storage.ts';

export type WriterRequest =
  | { readonly id: number; readonly op: 'append'; readonly batch: IntegratedBatch }
  | {
      readonly id: number;
      readonly op: 'witness';
      readonly witness: string;
      readonly size: number;
      readonly line: string | undefined;
    }
  | { readonly id: number; readonly op: 'published'; readonly size: number }
  | { readonly id: number; readonly op: 'close' };

export type WriterReply = {
  readonly id: number;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
};

type Call = WriterRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class WriterThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve(): void; reject(e: unknown): void }>();
  #ids = 0;
  #dead: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static start(path: string): Promise<WriterThread> {
    // Small heap limits: the writer holds one batch at a time, and every megabyte here is server RSS.
    const worker = startWorker(new URL('./writer-worker-main.ts', import.meta.url), {
      workerData: { path },
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 },
    });
    const thread = new WriterThread(worker);
    return new Promise((ready, failed) => {
      worker.on('message', (m: WriterReply | { ready: true }) => {
        if ('ready' in m) return ready(thread);
        const w = thread.#waiting.get(m.id);
        if (!w) return;
        thread.#waiting.delete(m.id);
        if (m.error) w.reject(new FleetlogError(m.error.code, m.error.message));
        else w.resolve();
      });
      worker.on('error', (e) => {
        thread.#dead = e;
        failed(e);
        for (const w of thread.#waiting.values())
          w.reject(new FleetlogError('unavailable', `the storage writer failed: ${e.message}`));
        thread.#waiting.clear();
      });
    });
  }

  call(request: Call): Promise<void> {
    if (this.#dead)
      return Promise.reject(new FleetlogError('unavailable', `the storage writer failed: ${this.#dead.message}`));
    const id = ++this.#ids;
    return new Promise<void>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id });
    });
  }

  async close(): Promise<void> {
    if (!this.#dead) await this.call({ op: 'close' }).catch(() => {});
    await this.#worker.terminate();
  }
}
