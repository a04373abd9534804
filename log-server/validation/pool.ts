/**
 * Entry validation on worker threads, so signature checks and canonical decoding run on another
 * core while the main thread serves HTTP and sequences. With `workers: 0` (the default) validation
 * runs inline on the serving thread. Either way the answer is the same `validateEntry` result.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../service/worker.ts';
import { FleetlogError, type ErrorCode } from '../../core/errors.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import { validateEntry, type PendingFacts, type SigningKeys, type ValidatedEntry } from './validate.ts';

export interface WorkerKeys {
  readonly publishers: readonly string[];
  readonly countersigners: readonly string[];
}

export interface ValidationRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
}

export type ValidationReply =
  | { readonly id: number; readonly leafHash: Hash; readonly facts: PendingFacts }
  | { readonly id: number; readonly error: { readonly code: ErrorCode; readonly message: string } };

interface Waiting {
  readonly bytes: Uint8Array;
  resolve(v: ValidatedEntry): void;
  reject(e: unknown): void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly waiting: Map<number, Waiting>;
}

export class ValidationPool {
  readonly #keys: SigningKeys;
  readonly #workers: PoolWorker[] = [];
  #next = 0;
  #ids = 0;

  private constructor(keys: SigningKeys) {
    this.#keys = keys;
  }

  static async start(keys: SigningKeys, workers: number): Promise<ValidationPool> {
    const pool = new ValidationPool(keys);
    const workerData: WorkerKeys = {
      publishers: keys.publishers.map((k) => k.vkey),
      countersigners: keys.countersigners.map((k) => k.vkey),
    };
    try {
      await Promise.all(Array.from({ length: workers }, () => pool.#spawn(workerData)));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  #spawn(workerData: WorkerKeys): Promise<void> {
    const worker = startWorker(new URL('./worker-main.ts', import.meta.url), {
      workerData,
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 },
    });
    const pw: PoolWorker = { worker, waiting: new Map() };
    this.#workers.push(pw);
    return new Promise<void>((ready, failed) => {
      worker.on('message', (m: ValidationReply | { ready: true }) => {
        if ('ready' in m) return ready();
        const w = pw.waiting.get(m.id);
        if (!w) return;
        pw.waiting.delete(m.id);
        if ('error' in m) w.reject(new FleetlogError(m.error.code, m.error.message));
        else w.resolve({ data: w.bytes, leafHash: m.leafHash, facts: m.facts });
      });
      worker.on('error', (e) => {
        failed(e);
        for (const w of pw.waiting.values())
          w.reject(new FleetlogError('unavailable', 'entry validation failed; retry'));
        pw.waiting.clear();
      });
    });
  }

  validate(bytes: Uint8Array): Promise<ValidatedEntry> {
    if (this.#workers.length === 0) {
      try {
        return Promise.resolve(validateEntry(bytes, this.#keys));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    // Least-loaded worker; ties go round-robin.
    let best = this.#workers[this.#next++ % this.#workers.length]!;
    for (const w of this.#workers) if (w.waiting.size < best.waiting.size) best = w;
    const id = ++this.#ids;
    return new Promise<ValidatedEntry>((resolve, reject) => {
      best.waiting.set(id, { bytes, resolve, reject });
      // Copy the view: cloning a Buffer slice would copy its whole (possibly pooled) ArrayBuffer.
      best.worker.postMessage({ id, bytes: bytes.slice() } satisfies ValidationRequest);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
    this.#workers.length = 0;
  }
}
