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
import type { PgWitnessStore } from './pg-store.ts';
import type { WitnessStore } from './store.ts';
import type { WriterReply } from './writer-worker.ts';

export interface Writer {
  /** Resolves once the write is committed: true if it took effect (CAS won, evidence new). */
  write(job: WriteJob): Promise<boolean>;
  /** Resolves once everything queued so far has been committed or has failed. */
  drain(): Promise<void>;
  /** False once the writer can no longer commit (its thread stopped): /health reports it. */
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

/** The batching shared by both writers: one batch in flight, the rest queue up for the next. */
function batchingWriter(
  commit: (jobs: WriteJob[]) => Promise<WriteResult[]>,
  onBatch?: (size: number) => void,
): Writer {
  let queue: Queued[] = [];
  let busy = false;
  const idle: Array<() => void> = [];

  const flush = async (): Promise<void> => {
    const batch = queue;
    queue = [];
    try {
      const results = await commit(batch.map((q) => q.job));
      onBatch?.(batch.length);
      batch.forEach((q, i) => {
        const r = results[i];
        if (r?.ok) q.resolve(r.changed);
        else q.reject(new FleetlogError('internal', `write failed: ${r?.error ?? 'no result'}`));
      });
    } catch (e) {
      // Nothing of this batch was committed: every caller gets the error, nobody a success.
      for (const q of batch) q.reject(e);
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
    healthy: () => true,
    ready: Promise.resolve(),
    async close() {
      await this.drain();
    },
  };
}

export function inlineWriter(store: WitnessStore, onBatch?: (size: number) => void): Writer {
  return batchingWriter(async (jobs) => commitBatch(store, jobs), onBatch);
}

/** Group commit on PostgreSQL: the same batching, each batch one transaction (pg-store.ts). */
export function pgWriter(store: PgWitnessStore, onBatch?: (size: number) => void): Writer {
  return batchingWriter((jobs) => store.commitBatch(jobs), onBatch);
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
    else p.reject(new FleetlogError('io', `commit failed: ${reply.error}`));
  });
  worker.on('error', (e) => logger.error('writer thread failed', { error: String(e) }));
  worker.on('exit', () => {
    // Without its writer the witness cannot persist anything: refuse every write from now on
    // (503, and /health says so, so a supervisor restarts the process).
    loaded();
    if (!closing) logger.error('the writer thread stopped; the witness refuses writes until restarted');
    stopped = new Error('the writer thread stopped');
    pending?.reject(new FleetlogError('unavailable', stopped.message));
    pending = undefined;
  });

  let closing = false;
  const writer = batchingWriter(
    (jobs) =>
      new Promise<WriteResult[]>((resolve, reject) => {
        if (stopped) return reject(new FleetlogError('unavailable', stopped.message));
        pending = { resolve, reject };
        worker.postMessage(jobs);
      }),
    onBatch,
  );
  return {
    write: (job) => writer.write(job),
    drain: () => writer.drain(),
    healthy: () => stopped === undefined,
    ready,
    async close() {
      closing = true;
      await writer.drain();
      await worker.terminate();
    },
  };
}
