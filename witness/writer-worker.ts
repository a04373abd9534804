/**
 * The writer thread: every write of a served witness goes through here. It commits
 * each batch it receives in one transaction (commit-batch.ts). It replies after COMMIT returns.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { commitBatch, type WriteJob, type WriteResult } from './commit-batch.ts';
import { WitnessStore } from './store.ts';

export type WriterReply = { readonly results: WriteResult[] } | { readonly error: string };

const store = WitnessStore.open((workerData as { databasePath: string }).databasePath);

parentPort!.postMessage('ready');
parentPort!.on('message', (jobs: WriteJob[]) => {
  let reply: WriterReply;
  try {
    reply = { results: commitBatch(store, jobs) };
  } catch (e) {
    reply = { error: String(e) };
  }
  parentPort!.postMessage(reply);
});
parentPort!.once('close', () => store.close());
