/**
 * Body of a validation worker: runs `validateEntry` (canonical decoding and signature checks, the
 * CPU-heavy part of add-entry) off the main thread. Keys arrive as vkeys in workerData.
 */
import { workerData } from 'node:worker_threads';
import { parseVerifierKey } from '../../core/note/keys.ts';
import { serveCalls } from '../../service/worker-calls.ts';
import type { ValidationAnswer, WorkerKeys } from './pool.ts';
import { validateEntry, type SigningKeys } from './validate.ts';

const data = workerData as WorkerKeys;
const keys: SigningKeys = {
  publishers: data.publishers.map((v) => parseVerifierKey(v)),
  countersigners: data.countersigners.map((v) => parseVerifierKey(v)),
};

serveCalls((bytes: Uint8Array): ValidationAnswer => {
  const v = validateEntry(bytes, keys);
  return { leafHash: v.leafHash, facts: v.facts };
});
