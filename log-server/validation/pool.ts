/**
 * Entry validation on worker threads, so signature checks and canonical decoding run on another
 * core while the main thread serves HTTP and sequences. With `workers: 0` (the default) validation
 * runs inline on the serving thread. Either way the answer is the same `validateEntry` result.
 *
 * A worker that dies is replaced (service/worker-pool.ts, 'replace'): the entries it held are
 * answered 503 'unavailable' and the client retries; validation is stateless, so that is safe.
 * A worker stuck on one entry (a validation bug that never ends) is dead too: past `callTimeoutMs`
 * (default 10 s, where an entry of at most 64 KiB takes milliseconds) it is stopped and replaced,
 * and /health and /metrics show the restart (`status()`).
 */
import type { Logger } from '../../service/logger.ts';
import { WorkerPool, type WorkerPoolStatus } from '../../service/worker-pool.ts';
import type { Hash } from '../../core/merkle/hash.ts';
import { validateEntry, type PendingFacts, type SigningKeys, type ValidatedEntry } from './validate.ts';

export interface WorkerKeys {
  readonly publishers: readonly string[];
  readonly countersigners: readonly string[];
}

/** What a worker answers for one entry (the bytes stay on the main thread). */
export interface ValidationAnswer {
  readonly leafHash: Hash;
  readonly facts: PendingFacts;
}

export const DEFAULT_VALIDATION_TIMEOUT_MS = 10_000;

export class ValidationPool {
  readonly #keys: SigningKeys;
  readonly #workers: WorkerPool<Uint8Array, ValidationAnswer> | undefined;

  private constructor(keys: SigningKeys, workers: WorkerPool<Uint8Array, ValidationAnswer> | undefined) {
    this.#keys = keys;
    this.#workers = workers;
  }

  static async start(
    keys: SigningKeys,
    workers: number,
    options: { readonly callTimeoutMs?: number; readonly logger?: Logger } = {},
  ): Promise<ValidationPool> {
    if (workers === 0) return new ValidationPool(keys, undefined);
    const workerData: WorkerKeys = {
      publishers: keys.publishers.map((k) => k.vkey),
      countersigners: keys.countersigners.map((k) => k.vkey),
    };
    const pool = await WorkerPool.start<Uint8Array, ValidationAnswer>({
      name: 'entry validation',
      entry: new URL('./worker-main.ts', import.meta.url),
      size: workers,
      workerData,
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 },
      onDeath: 'replace',
      callTimeoutMs: options.callTimeoutMs ?? DEFAULT_VALIDATION_TIMEOUT_MS,
      onEvent: (e) => {
        if (e.kind === 'stopped')
          options.logger?.error(
            e.replaced ? 'a validation worker stopped; replacing it' : 'a validation worker could not start',
            { reason: e.reason },
          );
      },
    });
    return new ValidationPool(keys, pool);
  }

  async validate(bytes: Uint8Array): Promise<ValidatedEntry> {
    if (!this.#workers) return validateEntry(bytes, this.#keys);
    // Move a copy that owns its buffer: `bytes` may be a Buffer view into a shared (pooled)
    // ArrayBuffer, which must be neither cloned whole nor detached. (Buffer#slice would not copy.)
    const copy = new Uint8Array(bytes);
    const answer = await this.#workers.call(copy, [copy.buffer as ArrayBuffer]);
    return { data: bytes, leafHash: answer.leafHash, facts: answer.facts };
  }

  /** The worker pool's state for /health and /metrics; undefined when validating inline. */
  status(): WorkerPoolStatus | undefined {
    return this.#workers?.status();
  }

  async close(): Promise<void> {
    await this.#workers?.close();
  }
}
