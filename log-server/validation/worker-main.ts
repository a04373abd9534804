/**
 * Body of a validation worker: runs `validateEntry` (canonical decoding and signature checks, the
 * CPU-heavy part of add-entry) off the main thread. Keys arrive as vkeys in workerData.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isFleetlogError } from '../../core/errors.ts';
import { parseVerifierKey } from '../../core/note/keys.ts';
import { validateEntry, type SigningKeys } from './validate.ts';
import type { ValidationReply, ValidationRequest, WorkerKeys } from './pool.ts';

const data = workerData as WorkerKeys;
const keys: SigningKeys = {
  publishers: data.publishers.map((v) => parseVerifierKey(v)),
  countersigners: data.countersigners.map((v) => parseVerifierKey(v)),
};

parentPort!.on('message', (req: ValidationRequest) => {
  let reply: ValidationReply;
  try {
    const v = validateEntry(req.bytes, keys);
    reply = { id: req.id, leafHash: v.leafHash, facts: v.facts };
  } catch (e) {
    reply = isFleetlogError(e)
      ? { id: req.id, error: { code: e.code, message: e.message } }
      : { id: req.id, error: { code: 'internal', message: String(e) } };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ready: true });
