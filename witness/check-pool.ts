/**
 * Where add-checkpoint requests are judged (check.ts): inline on the main thread, or on a pool of
 * worker threads so the Ed25519 verify and sign, the parsing and the proof hashing run on every
 * core while the main thread keeps the sockets, the compare-and-swap and the commits. Both run
 * the same function; the pool only moves it.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../service/worker.ts';
import type { Cosigner } from '../core/cosignature.ts';
import type { Logger } from '../service/logger.ts';
import { checkAddCheckpoint, checkAddCheckpointAsync, type CheckOutcome } from './check.ts';
import type { CheckReplies, CheckRequest, CheckWorkerData } from './check-worker.ts';
import { LogKeyCache } from './log-keys.ts';
import type { PgWitnessStore } from './pg-store.ts';
import type { WitnessStore } from './store.ts';

export interface Checker {
  /** Judges one request body at `now` (seconds). Never rejects for a bad request: that is an outcome. */
  check(body: Uint8Array, now: number): Promise<CheckOutcome>;
  /** Resolves once it can judge without start-up delay (worker threads loaded). */
  readonly ready: Promise<void>;
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

/** A worker that died is replaced after this long, so one that cannot start does not spin. */
const RESTART_DELAY_MS = 1000;

interface Slot {
  worker: Worker;
  alive: boolean;
  readonly pending: Map<number, (outcome: CheckOutcome) => void>;
  /** Requests dispatched this turn, sent together at the end of it. */
  outbox: CheckRequest[];
}

const UNAVAILABLE: CheckOutcome = {
  kind: 'refuse',
  refusal: { code: 'unavailable', message: 'a checking worker stopped; retry' },
};

export function workerPoolChecker(threads: number, data: CheckWorkerData, logger: Logger): Checker {
  let nextId = 1;
  let closing = false;
  const slots: Slot[] = [];

  const start = (slot: Slot): Promise<void> => {
    const worker = startWorker(new URL('./check-worker.ts', import.meta.url), { workerData: data });
    slot.worker = worker;
    slot.alive = true;
    let loaded!: () => void;
    const ready = new Promise<void>((resolve) => (loaded = resolve));
    worker.on('message', (replies: CheckReplies | 'ready') => {
      if (replies === 'ready') return loaded();
      for (const reply of replies) {
        const resolve = slot.pending.get(reply.id);
        slot.pending.delete(reply.id);
        resolve?.(reply.outcome);
      }
    });
    worker.on('error', (e) => logger.error('checking worker failed', { error: String(e) }));
    worker.on('exit', () => {
      // Fail what it held (those clients get a 503 and retry) and replace it, unless shutting down.
      loaded();
      slot.alive = false;
      for (const resolve of slot.pending.values()) resolve(UNAVAILABLE);
      slot.pending.clear();
      slot.outbox = [];
      if (!closing) {
        logger.error('a checking worker stopped; restarting it', { delayMs: RESTART_DELAY_MS });
        setTimeout(() => {
          if (!closing) void start(slot);
        }, RESTART_DELAY_MS).unref();
      }
    });
    return ready;
  };
  const started: Array<Promise<void>> = [];
  for (let i = 0; i < Math.max(1, threads); i++) {
    const slot: Slot = { worker: undefined as unknown as Worker, alive: false, pending: new Map(), outbox: [] };
    started.push(start(slot));
    slots.push(slot);
  }
  const ready = Promise.all(started).then(() => undefined);

  return {
    check(body, now) {
      let slot: Slot | undefined; // the least busy live worker
      for (const s of slots) if (s.alive && (slot === undefined || s.pending.size < slot.pending.size)) slot = s;
      if (slot === undefined) return Promise.resolve(UNAVAILABLE);
      const target = slot;
      const id = nextId++;
      return new Promise<CheckOutcome>((resolve) => {
        target.pending.set(id, resolve);
        target.outbox.push({ id, body, now });
        if (target.outbox.length === 1) {
          setImmediate(() => {
            const batch = target.outbox;
            target.outbox = [];
            if (batch.length > 0) target.worker.postMessage(batch);
          });
        }
      });
    },
    ready,
    async close() {
      closing = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
