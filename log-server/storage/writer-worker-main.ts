/** Body of the storage writer thread: owns the writing connection and runs one call at a time. */
import { parentPort, workerData } from 'node:worker_threads';
import { isFleetlogError } from '../../core/errors.ts';
import { openDatabase } from '../../service/sqlite.ts';
import { SqliteBatchWriter } from './sqlite-writer.ts';
import type { WriterReply, WriterRequest } from './writer-thread.ts';

const writer = new SqliteBatchWriter(openDatabase((workerData as { path: string }).path));

parentPort!.on('message', (req: WriterRequest) => {
  let reply: WriterReply;
  try {
    if (req.op === 'append') writer.appendBatch(req.batch);
    else if (req.op === 'witness') writer.recordWitness(req.witness, req.size, req.line);
    else if (req.op === 'published') writer.setPublishedSize(req.size);
    else writer.close();
    reply = { id: req.id };
  } catch (e) {
    reply = {
      id: req.id,
      error: isFleetlogError(e) ? { code: e.code, message: e.message } : { code: 'internal', message: String(e) },
    };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ready: true });
