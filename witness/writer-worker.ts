/**
 * The writer thread: every write of a served witness goes through here. It commits
 * each batch it receives in one transaction (commit-batch.ts). It replies after COMMIT returns.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FleetlogError } from '../core/errors.ts';
import { serveCalls } from '../service/worker-calls.ts';
import { commitBatch, type WriteJob, type WriteResult } from './commit-batch.ts';
import { WitnessStore } from './store.ts';

const store = WitnessStore.open((workerData as { databasePath: string }).databasePath);

serveCalls((jobs: WriteJob[]): WriteResult[] => {
  try {
    return commitBatch(store, jobs);
  } catch (e) {
    throw new FleetlogError('io', `commit failed: ${String(e)}`);
  }
});
parentPort!.once('close', () => store.close());
