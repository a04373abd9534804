/**
 * Group commit: writes queued while the previous commit is in progress (or during one turn of
 * the event loop) go to SQLite together, in one transaction and one fsync. Callers are answered
 * only after COMMIT returns, so nothing is acknowledged before it is on disk.
 *
 * Inline, the commit runs on the main thread (tests). In a writer thread (serve), the fsync
 * never blocks the event loop: requests keep being read and judged while the disk works, and
 * they form the next batch.
 */
import { WorkerPool } from '../service/worker-pool.ts';
import { FleetlogError } from '../core/errors.ts';
import { createLogThrottle } from '../service/log-throttle.ts';
import type { Logger } from '../service/logger.ts';
import { commitBatch, type WriteJob, type WriteResult } from './commit-batch.ts';
import type { PgWitnessStore } from './pg-store.ts';
import type { WitnessStore } from './store.ts';

export interface Writer {
  /** Resolves once the write is committed: true if it took effect (CAS won, evidence new). */
  write(job: WriteJob): Promise<boolean>;
  /** Resolves once everything queued so far has been committed or has failed. */
  drain(): Promise<void>;
  /** False once the writer can no longer commit (its thread stopped), or while its last commit failed (a full disk): /health reports it. */
  healthy(): boolean;
  /** Resolves once it can commit without start-up delay (writer thread loaded). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

interface Queued {
  readonly job: WriteJob;
  readonly resolve: (changed: boolean) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * What a caller is told when its write did not commit: 503, and nothing about the cause (a full
 * disk, an I/O error, a SQLite message with paths): that goes to the operator's log only.
 */
export const NOT_STORED = 'the witness could not store its state; nothing was cosigned or stored, retry later';

/** The batching shared by both writers: one batch in flight, the rest queue up for the next. */
function batchingWriter(
  commit: (jobs: WriteJob[]) => Promise<WriteResult[]>,
  logger: Logger,
  onBatch?: (size: number) => void,
): Writer & { failing(): boolean } {
  let queue: Queued[] = [];
  let busy = false;
  /** Set by a failed commit, cleared by the next one that succeeds: /health reports it. */
  let failing = false;
  const idle: Array<() => void> = [];
  // While the disk is full every request that reaches it fails, and anyone can send requests: at
  // most one line per kind a minute, with the count (health and the 503 counter show the rest).
  const throttle = createLogThrottle(logger);

  const flush = async (): Promise<void> => {
    const batch = queue;
    queue = [];
    try {
      const results = await commit(batch.map((q) => q.job));
      onBatch?.(batch.length);
      failing = results.some((r) => !r.ok);
      batch.forEach((q, i) => {
        const r = results[i];
        if (r?.ok) {
          q.resolve(r.changed);
        } else {
          throttle.log('error', 'write failed', 'a write failed', { error: r?.error ?? 'no result' });
          q.reject(new FleetlogError('unavailable', NOT_STORED));
        }
      });
    } catch (e) {
      // Nothing of this batch was committed: every caller gets the error, nobody a success.
      failing = true;
      throttle.log('error', 'commit failed', 'commit failed; nothing of this batch was stored', {
        error: String(e),
        writes: batch.length,
      });
      const err =
        e instanceof FleetlogError && e.code === 'unavailable' ? e : new FleetlogError('unavailable', NOT_STORED);
      for (const q of batch) q.reject(err);
    }
    if (queue.length > 0) {
      void flush();
      return;
    }
    busy = false;
    for (const w of idle.splice(0)) w();
  };

  return {
    write(job) {
      return new Promise<boolean>((resolve, reject) => {
        queue.push({ job, resolve, reject });
        if (!busy) {
          busy = true;
          // Let the rest of this turn's requests join the batch.
          setImmediate(() => void flush());
        }
      });
    },
    drain() {
      return busy ? new Promise<void>((r) => idle.push(r)) : Promise.resolve();
    },
    healthy: () => !failing,
    failing: () => failing,
    ready: Promise.resolve(),
    async close() {
      await this.drain();
    },
  };
}

export function inlineWriter(store: WitnessStore, logger: Logger, onBatch?: (size: number) => void): Writer {
  return batchingWriter(async (jobs) => commitBatch(store, jobs), logger, onBatch);
}

/** Group commit on PostgreSQL: the same batching, each batch one transaction (pg-store.ts). */
export function pgWriter(store: PgWitnessStore, logger: Logger, onBatch?: (size: number) => void): Writer {
  return batchingWriter((jobs) => store.commitBatch(jobs), logger, onBatch);
}

/** A commit takes milliseconds; a writer that holds one this long is stuck. */
const WRITER_TIMEOUT_MS = 60_000;

/**
 * Commits on a writer thread (service/worker-pool.ts, 'fail-pool'). Without its writer the witness
 * cannot persist anything: if the thread dies, the batch in flight and every later write are
 * refused with 'unavailable' (503) and `healthy()` turns false, so /health says so and a
 * supervisor restarts the process. Nothing is acknowledged that was not committed. A thread that
 * is stuck (holds a batch for WRITER_TIMEOUT_MS) is stopped and counts as dead.
 */
export function workerWriter(databasePath: string, logger: Logger, onBatch?: (size: number) => void): Writer {
  const pool = new WorkerPool<WriteJob[], WriteResult[]>({
    name: 'the writer thread',
    entry: new URL('./writer-worker.ts', import.meta.url),
    size: 1,
    workerData: { databasePath },
    onDeath: 'fail-pool',
    callTimeoutMs: WRITER_TIMEOUT_MS,
    onEvent: (e) => {
      if (e.kind === 'stopped')
        logger.error('the writer thread stopped; the witness refuses writes until restarted', { reason: e.reason });
    },
  });
  const writer = batchingWriter((jobs) => pool.call(jobs), logger, onBatch);
  return {
    write: (job) => writer.write(job),
    drain: () => writer.drain(),
    healthy: () => pool.failure === undefined && !writer.failing(),
    // A writer that cannot start leaves the witness unhealthy, not unstarted: /health reports it.
    ready: pool.ready.catch(() => {}),
    async close() {
      await writer.drain();
      await pool.close();
    },
  };
}
