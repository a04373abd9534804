/**
 * Real processes for end-to-end tests: run the `fleetlog` executable, wait for a server to answer,
 * kill it (SIGTERM or SIGKILL), and collect its output for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FLEETLOG_BIN = join(REPO_ROOT, 'bin/fleetlog.js');

const tempDirs: string[] = [];

/** Removes every directory tempDir made (test/support/cleanup.ts runs it after each test file). */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function tempDir(prefix = 'fleetlog-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A TCP port that was free a moment ago (bind to 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolvePort(port));
    });
  });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `fleetlog <args>` to completion. */
export function runFleetlog(
  args: string[],
  options: { input?: string | Uint8Array; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [FLEETLOG_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fleetlog ${args.join(' ')} timed out\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** Sends a signal and waits for the process to exit; returns its exit code (null if killed). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a long-running `fleetlog` server and waits until `readyPath` answers (any HTTP status). */
export async function startFleetlogServer(
  args: string[],
  url: string,
  options: {
    readyPath?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    /** Runs the server under `ulimit -n openFiles` (a shell execs it, so the pid is the server's). */
    openFiles?: number;
  } = {},
): Promise<ServerProcess> {
  const command: [string, string[]] =
    options.openFiles === undefined
      ? [process.execPath, [FLEETLOG_BIN, ...args]]
      : [
          '/bin/sh',
          ['-c', `ulimit -n ${options.openFiles} && exec "$0" "$@"`, process.execPath, FLEETLOG_BIN, ...args],
        ];
  const child = spawn(command[0], command[1], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`server exited early (${child.exitCode ?? child.signalCode}):\n${out}`);
    try {
      await fetch(url + (options.readyPath ?? '/health'), { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`server did not start within the timeout:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    child,
    url,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * `fleetlog log serve` on a free loopback port with no witnesses (the crash and end-to-end tests
 * check the log alone), plus `extra` flags; logs at `logLevel` so a failure's output stays readable.
 */
export async function serveUnwitnessedLog(
  dataDir: string,
  policyFile: string,
  extra: string[] = [],
  logLevel: 'warn' | 'error' = 'warn',
): Promise<ServerProcess> {
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const args = ['log', 'serve', '--data', dataDir, '--listen', listen, '--policy', policyFile, '--no-witnesses'];
  return startFleetlogServer([...args, ...extra], `http://${listen}`, { env: { FLEETLOG_LOG_LEVEL: logLevel } });
}
