/**
 * The witness's writes, as data: a compare-and-swap of a log's head, or one evidence document.
 * `commitBatch` runs a batch of them in ONE SQLite transaction, so one fsync (synchronous=FULL)
 * makes them all durable (group commit). Each write still runs its own compare-and-swap, in
 * order, and sees the writes before it. Used on the main thread and in the writer thread alike.
 */
import type { EvidenceRecord, NextState } from './check.ts';
import type { WitnessStore } from './store.ts';

export type WriteJob =
  | { readonly kind: 'cas'; readonly expectedSize: number | undefined; readonly next: NextState }
  | { readonly kind: 'evidence'; readonly record: EvidenceRecord };

/** Per job: whether it took effect (CAS won; evidence new), or why it failed. */
export type WriteResult =
  | { readonly ok: true; readonly changed: boolean }
  | { readonly ok: false; readonly error: string };

function apply(store: WitnessStore, job: WriteJob): boolean {
  if (job.kind === 'cas') return store.compareAndSwap(job.expectedSize, job.next);
  const r = job.record;
  return store.addEvidence(r.origin, r.digest, r.document, r.observedAt, r.proven);
}

/** Commits `jobs` together. Throws if the transaction as a whole failed: then nothing was written. */
export function commitBatch(store: WitnessStore, jobs: readonly WriteJob[]): WriteResult[] {
  const results: WriteResult[] = [];
  store.db
    .transaction(() => {
      for (const job of jobs) {
        // SQLite rolls the whole transaction back on some errors (disk full, I/O): stop, so no
        // later write runs outside it, and let COMMIT fail for everyone.
        if (!store.db.inTransaction) throw new Error('the group transaction was rolled back');
        // One job's failure (a bad statement) must not undo the others' writes.
        try {
          results.push({ ok: true, changed: apply(store, job) });
        } catch (e) {
          results.push({ ok: false, error: String(e) });
        }
      }
    })
    .immediate();
  return results;
}
