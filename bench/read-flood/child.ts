/**
 * A bench helper process with its own event loop, driven over Node IPC: the orchestrator sends a
 * request object and awaits the one answer to it. Load generators run in such processes so their
 * own CPU does not slow the process that measures, or each other's event loop.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';

export interface Child {
  readonly pid: number;
  ask<T>(request: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Forks `module` (a .ts file; the tsx loader is inherited through execArgv) with `env`, at
 * scheduling priority `nice` (0 = this process's).
 */
export function forkChild(module: URL, env: Record<string, string>, nice = 0): Child {
  const child: ChildProcess = fork(module, [], { env: { ...process.env, ...env }, stdio: 'inherit' });
  if (nice !== 0) setPriority(child.pid!, nice);
  let pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | undefined;
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  child.on('message', (m) => {
    const p = pending;
    pending = undefined;
    const answer = m as { error?: string };
    if (answer.error !== undefined) p?.reject(new Error(answer.error));
    else p?.resolve(m);
  });
  child.on('exit', (code) => pending?.reject(new Error(`bench child ${module.pathname} exited (${code})`)));
  return {
    pid: child.pid!,
    ask: <T>(request: Record<string, unknown>) =>
      new Promise<T>((resolve, reject) => {
        if (pending) throw new Error('one request at a time');
        pending = { resolve: resolve as (v: unknown) => void, reject };
        child.send(request);
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** In a child: answers each request with `handle`'s result, or {error} when it throws. */
export function serveRequests(handle: (request: Record<string, unknown>) => Promise<object>): void {
  process.on('message', (m) => {
    handle(m as Record<string, unknown>).then(
      (answer) => process.send!(answer),
      (e: unknown) => process.send!({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
  });
}
