/** Body of the storage writer thread: owns the writing connection and runs one call at a time. */
import { workerData } from 'node:worker_threads';
import { openDatabase } from '../../service/sqlite.ts';
import { serveCalls } from '../../service/worker-calls.ts';
import { SqliteBatchWriter } from './sqlite-writer.ts';
import type { WriterRequest } from './writer-thread.ts';

const writer = new SqliteBatchWriter(openDatabase((workerData as { path: string }).path));

serveCalls((req: WriterRequest): null => {
  if (req.op === 'append') writer.appendBatch(req.batch);
  else if (req.op === 'witness') writer.recordWitness(req.witness, req.size, req.line);
  else if (req.op === 'published') writer.setPublishedSize(req.size);
  else if (req.op === 'bundleGzip') writer.storeBundleGzip(req.tile, req.gzip);
  else writer.close();
  return null;
});
