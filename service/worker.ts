/**
 * Starting worker threads whose code is TypeScript. From dist/ (the compiled build) the worker is
 * the .js sibling of the given .ts entry and starts directly. From the sources, worker threads do
 * not inherit the main thread's TypeScript loader on Node 20, so they boot through
 * tsx-worker-boot.mjs, which registers tsx and then imports the entry (passed as argv[2]).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const TSX_BOOT = new URL('./tsx-worker-boot.mjs', import.meta.url);

/** `entry` is `new URL('./x.ts', import.meta.url)` of the caller. */
export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  const compiled = new URL(entry.href.replace(/\.ts$/, '.js'));
  if (compiled.href !== entry.href && existsSync(fileURLToPath(compiled))) return new Worker(compiled, options);
  return new Worker(TSX_BOOT, { ...options, argv: [entry.href, ...(options.argv ?? [])] });
}
