/**
 * Starting worker threads whose code is TypeScript. The run mode (bin/fleetlog.js) is known from
 * this very module: compiled into dist/ it is a .js file, and a worker's entry is the .js sibling
 * of the given .ts entry, started directly. Run from the sources it is a .ts file; worker threads
 * do not inherit the main thread's TypeScript loader on Node 20, so they boot through
 * tsx-worker-boot.mjs, which registers tsx and then imports the entry (passed as argv[2]).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

const COMPILED = import.meta.url.endsWith('.js');
const TSX_BOOT = new URL('./tsx-worker-boot.mjs', import.meta.url);

/** `entry` is `new URL('./x.ts', import.meta.url)` of the caller. */
export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (COMPILED) return new Worker(new URL(entry.href.replace(/\.ts$/, '.js')), options);
  return new Worker(TSX_BOOT, { ...options, argv: [entry.href, ...(options.argv ?? [])] });
}
