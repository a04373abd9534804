/** A worker for the WorkerPool tests: each request says what to do, including how to die. */
import { threadId, workerData } from 'node:worker_threads';
import { FleetlogError } from '../../../core/errors.ts';
import { serveCalls } from '../../../service/worker-calls.ts';

export type TestRequest =
  | { readonly op: 'echo'; readonly value: unknown }
  | { readonly op: 'delay'; readonly ms: number; readonly value: unknown }
  | { readonly op: 'refuse' }
  | { readonly op: 'throw' }
  | { readonly op: 'crash' }
  | { readonly op: 'exit' }
  | { readonly op: 'thread' }
  | { readonly op: 'spin' };

if ((workerData as { failStart?: boolean } | undefined)?.failStart) throw new Error('setup failed on purpose');

serveCalls((req: TestRequest): unknown => {
  switch (req.op) {
    case 'echo':
      return req.value;
    case 'delay':
      return new Promise((resolve) => setTimeout(() => resolve(req.value), req.ms));
    case 'refuse':
      throw new FleetlogError('bad_entry', 'refused on purpose');
    case 'throw':
      throw new TypeError('a bug on purpose');
    case 'crash':
      // An uncaught error outside any call: the thread dies with 'error', then 'exit'.
      setImmediate(() => {
        throw new Error('crashed on purpose');
      });
      return new Promise(() => {});
    case 'exit':
      process.exit(3);
      break;
    case 'thread':
      return threadId;
    case 'spin':
      // Alive but stuck: a loop that never yields, as a validation bug would.
      for (;;) {
        /* spin */
      }
  }
});
