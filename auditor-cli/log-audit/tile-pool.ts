/**
 * Runs tile jobs on every core: worker threads hash and check signatures while the main thread
 * does the HTTP, and the main thread itself takes a job whenever every worker is busy or still
 * starting (a worker needs about half a second of CPU to load the TypeScript loader), so no core
 * waits. If workers cannot start at all (no tsx loader, no threads), every job runs inline:
 * slower, same answers.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../service/worker.ts';
import { parsePolicy, type Policy } from '../../core/policy/policy.ts';
import { runTileJob, type TileJob, type TileJobResult } from './tile-job.ts';

interface Pending {
  readonly job: TileJob;
  readonly resolve: (r: TileJobResult) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly inFlight: Map<number, Pending>;
  ready: boolean;
}

/** Jobs a worker holds at once, so it never waits for the main thread between two. */
const PER_WORKER = 3;
const ENTRY = new URL('./tile-worker.ts', import.meta.url);

function transferable(bytes: Uint8Array): { view: Uint8Array; buffer: ArrayBuffer } {
  // Only a view that owns its whole buffer may be transferred; anything else is copied first.
  const own =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  const view = own ? bytes : bytes.slice();
  return { view, buffer: view.buffer as ArrayBuffer };
}

export class TilePool {
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #policy: Policy | undefined;
  #inlineBusy = false;
  #nextId = 0;
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
    for (let i = 0; i < count; i++) this.#start(policyText);
  }

  /** Worker threads started (some may still be loading). */
  get workers(): number {
    return this.#slots.length;
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
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #pump(): void {
    for (const slot of this.#slots) {
      while (slot.ready && slot.inFlight.size < PER_WORKER && this.#queue.length > 0)
        this.#dispatch(slot, this.#queue.shift()!);
    }
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

  #dispatch(slot: Slot, pending: Pending): void {
    const id = this.#nextId++;
    slot.inFlight.set(id, pending);
    const tile = transferable(pending.job.tile);
    const bundle = transferable(pending.job.bundle);
    const job = { ...pending.job, tile: tile.view, bundle: bundle.view };
    slot.worker.postMessage({ id, job }, tile.buffer === bundle.buffer ? [tile.buffer] : [tile.buffer, bundle.buffer]);
  }

  #start(policyText: string | undefined): void {
    let worker: Worker;
    try {
      worker = startWorker(ENTRY, { workerData: { policyText } });
    } catch {
      return; // no threads here: the main thread does the work
    }
    const slot: Slot = { worker, inFlight: new Map(), ready: false };
    this.#slots.push(slot);
    worker.on('message', (m: { ready?: boolean; id?: number; result?: TileJobResult }) => {
      if (m.ready) {
        slot.ready = true;
      } else if (m.id !== undefined) {
        const pending = slot.inFlight.get(m.id);
        slot.inFlight.delete(m.id);
        if (pending) {
          this.ran.workers += 1;
          pending.resolve(m.result!);
        }
      }
      this.#pump();
    });
    worker.on('error', () => this.#retire(slot));
    worker.on('exit', () => this.#retire(slot));
  }

  /**
   * A worker that failed to load or died. Jobs it held cannot be rerun (their bytes were
   * transferred to it), so they fail; queued jobs go to the others or the main thread.
   */
  #retire(slot: Slot): void {
    const at = this.#slots.indexOf(slot);
    if (at < 0) return;
    this.#slots.splice(at, 1);
    for (const p of slot.inFlight.values()) p.reject(new Error('a hashing worker thread stopped'));
    slot.inFlight.clear();
    if (!this.#closed) this.#pump();
  }
}
