/**
 * Group commit: writes queued while the previous commit is in progress (or during one turn of
 * the event loop) go to SQLite together, in one transaction and one fsync. Callers are answered
 * only after COMMIT returns, so nothing is acknowledged before it is on disk.
 *
 * Inline, the commit runs on the main thread (tests). In a writer thread (serve), the fsync
 * never blocks the event loop: requests keep being read and judged while the disk works, and
 * they form the next batch.
 */
import { startWorker } from '../service/worker.ts';
import { FleetlogError } from '../core/errors.ts';
import type { Logger } from '../service/logger.ts';
import { commitBatch, type WriteJob, type WriteResult } from './commit-batch.ts';
import type { WitnessStore } from './store.ts';
import type { WriterReply } from './writer-worker.ts';

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
          logger.error('a write failed', { error: r?.error ?? 'no result' });
          q.reject(new FleetlogError('unavailable', NOT_STORED));
        }
      });
    } catch (e) {
      // Nothing of this batch was committed: every caller gets the error, nobody a success.
      failing = true;
      logger.error('commit failed; nothing of this batch was stored', { error: String(e), writes: batch.length });
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

export function workerWriter(databasePath: string, logger: Logger, onBatch?: (size: number) => void): Writer {
  const worker = startWorker(new URL('./writer-worker.ts', import.meta.url), { workerData: { databasePath } });
  let pending: { resolve: (r: WriteResult[]) => void; reject: (e: unknown) => void } | undefined;
  let stopped: Error | undefined;
  let loaded!: () => void;
  const ready = new Promise<void>((resolve) => (loaded = resolve));
  worker.on('message', (reply: WriterReply | 'ready') => {
    if (reply === 'ready') return loaded();
    const p = pending;
    pending = undefined;
    if (!p) return;
    if ('results' in reply) p.resolve(reply.results);
    else p.reject(new Error(reply.error)); // logged by the batching writer, never sent to a client
  });
  worker.on('error', (e) => logger.error('writer thread failed', { error: String(e) }));
  worker.on('exit', () => {
    // Without its writer the witness cannot persist anything: refuse every write from now on
    // (503, and /health says so, so a supervisor restarts the process).
    loaded();
    if (!closing) logger.error('the writer thread stopped; the witness refuses writes until restarted');
    stopped = new Error('the writer thread stopped');
    pending?.reject(new FleetlogError('unavailable', NOT_STORED));
    pending = undefined;
  });

  let closing = false;
  const writer = batchingWriter(
    (jobs) =>
      new Promise<WriteResult[]>((resolve, reject) => {
        if (stopped) return reject(new FleetlogError('unavailable', NOT_STORED));
        pending = { resolve, reject };
        worker.postMessage(jobs);
      }),
    logger,
    onBatch,
  );
  return {
    write: (job) => writer.write(job),
    drain: () => writer.drain(),
    healthy: () => stopped === undefined && !writer.failing(),
    ready,
    async close() {
      closing = true;
      await writer.drain();
      await worker.terminate();
    },
  };
}
