/**
 * A worker thread that judges add-checkpoint requests (check.ts) with its own read-only use of
 * the witness database and its own copy of the cosigning key, read from the 0600 key file here:
 * the key never crosses the message port. The main thread stores the outcome with a
 * compare-and-swap, so a decision made on a state that has since moved is never acted on.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { cosignerFromKey } from '../core/cosignature.ts';
import { parseSignerKey } from '../core/note/keys.ts';
import { readKeyFile } from '../service/key-file.ts';
import { serveCalls } from '../service/worker-calls.ts';
import { checkAddCheckpoint, type CheckOutcome } from './check.ts';
import { LogKeyCache } from './log-keys.ts';
import { WitnessStore } from './store.ts';

export interface CheckWorkerData {
  readonly databasePath: string;
  readonly keyPath: string;
}

export interface CheckRequest {
  readonly body: Uint8Array;
  /** The witness's clock, seconds since the epoch (the main thread's clock is the one that counts). */
  readonly now: number;
}

const data = workerData as CheckWorkerData;
const context = {
  store: WitnessStore.open(data.databasePath),
  keys: new LogKeyCache(),
  cosigner: cosignerFromKey(parseSignerKey(readKeyFile(data.keyPath))),
};

serveCalls((req: CheckRequest): CheckOutcome => checkAddCheckpoint(context, req.body, req.now));
parentPort!.once('close', () => context.store.close());
