// Worker threads do not inherit the main thread's TypeScript loader (Node 20), so each worker
// registers tsx itself before importing its TypeScript entry point (workerData.entry).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
