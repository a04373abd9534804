/**
 * Runs tile jobs on every core: worker threads hash and check signatures while the main thread
 * does the HTTP, and the main thread itself takes a job whenever every worker is busy or still
 * starting (a worker needs about half a second of CPU to load the TypeScript loader), so no core
 * waits. If workers cannot start at all (no tsx loader, no threads), every job runs inline:
 * slower, same answers.
 */
import { availableParallelism } from 'node:os';
import { WorkerPool } from '../../service/worker-pool.ts';
import { parsePolicy, type Policy } from '../../core/policy/policy.ts';
import { runTileJob, type TileJob, type TileJobResult } from './tile-job.ts';

interface Pending {
  readonly job: TileJob;
  readonly resolve: (r: TileJobResult) => void;
  readonly reject: (e: Error) => void;
}

/** Jobs a worker holds at once, so it never waits for the main thread between two. */
const PER_WORKER = 3;

function transferable(bytes: Uint8Array): { view: Uint8Array; buffer: ArrayBuffer } {
  // Only a view that owns its whole buffer may be transferred; anything else is copied first.
  const own =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  const view = own ? bytes : bytes.slice();
  return { view, buffer: view.buffer as ArrayBuffer };
}

/**
 * Worker threads come from service/worker-pool.ts ('replace'): a worker that dies fails the jobs
 * it held (their bytes were transferred to it, so they cannot be rerun), queued jobs go to the
 * others or to the main thread, and a new worker joins a second later. Workers that cannot start
 * are not retried: the main thread does all the work.
 */
export class TilePool {
  readonly #workers: WorkerPool<TileJob, TileJobResult> | undefined;
  readonly #queue: Pending[] = [];
  readonly #policy: Policy | undefined;
  #inlineBusy = false;
  #closed = false;
  /** Jobs run per thread, for reporting: main thread first. */
  readonly ran = { inline: 0, workers: 0 };

  /**
   * `workers` 0 runs everything inline; 'auto' starts one worker per core but one, since the main
   * thread hashes too whenever it is free. Returns at once; workers join as they finish loading.
   */
  constructor(workers: number | 'auto', policyText: string | undefined) {
    this.#policy = policyText ? parsePolicy(policyText) : undefined;
    const count = workers === 'auto' ? Math.max(1, availableParallelism() - 1) : workers;
    this.#workers =
      count > 0
        ? new WorkerPool<TileJob, TileJobResult>({
            name: 'tile hashing',
            entry: new URL('./tile-worker.ts', import.meta.url),
            size: count,
            workerData: { policyText },
            onDeath: 'replace',
            // One tile's hashing and checks take milliseconds: a worker stuck a minute is replaced.
            callTimeoutMs: 60_000,
            onEvent: (e) => {
              if (e.kind === 'ready') this.#pump();
            },
          })
        : undefined;
  }

  /** Worker threads running or starting. */
  get workers(): number {
    return this.#workers?.live ?? 0;
  }

  run(job: TileJob): Promise<TileJobResult> {
    if (this.#closed) return Promise.reject(new Error('tile pool is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#queue.splice(0)) p.reject(new Error('tile pool closed'));
    await this.#workers?.close();
  }

  #pump(): void {
    if (this.#closed) return;
    while (this.#queue.length > 0 && this.#workers?.hasSpare(PER_WORKER)) this.#dispatch(this.#queue.shift()!);
    if (!this.#inlineBusy && this.#queue.length > 0) {
      // Every worker is busy or loading: the main thread takes one job itself, after letting
      // pending I/O callbacks run.
      this.#inlineBusy = true;
      setImmediate(() => {
        this.#inlineBusy = false;
        const pending = this.#queue.shift();
        if (pending) {
          this.ran.inline += 1;
          try {
            pending.resolve(runTileJob(pending.job, this.#policy));
          } catch (e) {
            pending.reject(e as Error);
          }
        }
        this.#pump();
      });
    }
  }

  #dispatch(pending: Pending): void {
    const tile = transferable(pending.job.tile);
    const bundle = transferable(pending.job.bundle);
    const job = { ...pending.job, tile: tile.view, bundle: bundle.view };
    this.#workers!.call(job, tile.buffer === bundle.buffer ? [tile.buffer] : [tile.buffer, bundle.buffer]).then(
      (result) => {
        this.ran.workers += 1;
        pending.resolve(result);
        this.#pump();
      },
      (e: Error) => {
        pending.reject(e);
        this.#pump();
      },
    );
  }
}
