/**
 * Where add-checkpoint requests are judged (check.ts): inline on the main thread, or on a pool of
 * worker threads so the Ed25519 verify and sign, the parsing and the proof hashing run on every
 * core while the main thread keeps the sockets, the compare-and-swap and the commits. Both run
 * the same function; the pool only moves it.
 */
import { availableParallelism } from 'node:os';
import { isFleetlogError } from '../core/errors.ts';
import { WorkerPool, type WorkerPoolStatus } from '../service/worker-pool.ts';
import type { Cosigner } from '../core/cosignature.ts';
import type { Logger } from '../service/logger.ts';
import { checkAddCheckpoint, checkAddCheckpointAsync, type CheckOutcome } from './check.ts';
import type { CheckRequest, CheckWorkerData } from './check-worker.ts';
import { LogKeyCache } from './log-keys.ts';
import type { PgWitnessStore } from './pg-store.ts';
import type { WitnessStore } from './store.ts';

export interface Checker {
  /** Judges one request body at `now` (seconds). Never rejects for a bad request: that is an outcome. */
  check(body: Uint8Array, now: number): Promise<CheckOutcome>;
  /** Resolves once it can judge without start-up delay (worker threads loaded). */
  readonly ready: Promise<void>;
  /** The worker pool's state for /health, when checking runs on worker threads. */
  status?(): WorkerPoolStatus;
  close(): Promise<void>;
}

export function inlineChecker(store: WitnessStore, cosigner: Cosigner): Checker {
  const context = { store, keys: new LogKeyCache(), cosigner };
  return {
    async check(body, now) {
      return checkAddCheckpoint(context, body, now);
    },
    ready: Promise.resolve(),
    async close() {},
  };
}

/** Judging on the main thread against PostgreSQL: the reads are asynchronous, the judgement the same. */
export function pgChecker(store: PgWitnessStore, cosigner: Cosigner): Checker {
  const context = { store, keys: new LogKeyCache(), cosigner };
  return {
    check: (body, now) => checkAddCheckpointAsync(context, body, now),
    ready: Promise.resolve(),
    async close() {},
  };
}

/** Default pool size: one worker per core; the main thread mostly moves bytes and commits. */
export function defaultCheckThreads(): number {
  return Math.max(1, availableParallelism());
}

/** A check takes milliseconds (bodies are capped at 16 KiB); one that runs this long is stuck. */
const CHECK_TIMEOUT_MS = 10_000;

const UNAVAILABLE: CheckOutcome = {
  kind: 'refuse',
  refusal: { code: 'unavailable', message: 'a checking worker stopped; retry' },
};

/**
 * Checking on worker threads (service/worker-pool.ts, 'replace'): a worker that dies is replaced
 * after a second; the requests it held are answered 503 'unavailable' and their clients retry.
 * Checking is a pure judgement (the main thread commits), so a retry is safe. A worker stuck on
 * one request (a bug that never ends) is stopped and replaced the same way after CHECK_TIMEOUT_MS.
 */
export function workerPoolChecker(threads: number, data: CheckWorkerData, logger: Logger): Checker {
  const pool = new WorkerPool<CheckRequest, CheckOutcome>({
    name: 'checking',
    entry: new URL('./check-worker.ts', import.meta.url),
    size: Math.max(1, threads),
    workerData: data,
    onDeath: 'replace',
    callTimeoutMs: CHECK_TIMEOUT_MS,
    onEvent: (e) => {
      if (e.kind === 'stopped')
        logger.error(e.replaced ? 'a checking worker stopped; restarting it' : 'a checking worker could not start', {
          reason: e.reason,
        });
    },
  });
  return {
    check: (body, now) =>
      pool.call({ body, now }).catch((e: unknown) => {
        if (isFleetlogError(e, 'unavailable')) return UNAVAILABLE;
        throw e; // a bug in checking: the same as inline
      }),
    // A pool whose workers cannot start still serves: every check answers 'unavailable'.
    ready: pool.ready.catch(() => {}),
    status: () => pool.status(),
    close: () => pool.close(),
  };
}
