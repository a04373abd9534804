/**
 * A private PostgreSQL 15 server for fault tests: `initdb` into a temporary directory, `postgres`
 * on an ephemeral 127.0.0.1 port with its unix socket in that directory, fsync and
 * synchronous_commit on. Tests stop it (fast shutdown, or kill -9 of the postmaster), restart it
 * on the same data, and never touch the shared server on 127.0.0.1:5432.
 *
 * Cleanup holds when a test fails: `afterAll` stops every server this file started and removes
 * its directory, and a process 'exit' hook sends SIGQUIT to any postmaster still running (e.g.
 * when vitest is interrupted). PostgreSQL refuses to run as root, so when we are root the server
 * runs as the `postgres` user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';
import { freePort } from './process.ts';

const PG_BIN = process.env.FLEETLOG_PG_BIN ?? '/usr/lib/postgresql/15/bin';

const running = new Set<PrivatePostgres>();
afterAll(async () => {
  for (const server of [...running]) await server.destroy();
});
process.on('exit', () => {
  for (const server of running) server.killNow();
});

/** The user to run PostgreSQL as: ourselves, or `postgres` when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PrivatePostgres {
  readonly dir: string;
  readonly dataDir: string;
  readonly port: number;
  #child: ChildProcess | undefined;
  #log = '';
  readonly #user = runAs();

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.dataDir = join(dir, 'data');
    this.port = port;
  }

  /** initdb (trust authentication, superuser `postgres`) and start the server. */
  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'fleetlog-private-pg-'));
    const server = new PrivatePostgres(dir, await freePort());
    running.add(server);
    try {
      if (server.#user) chownSync(dir, server.#user.uid, server.#user.gid);
      execFileSync(
        join(PG_BIN, 'initdb'),
        ['-D', server.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
        { stdio: 'pipe', ...(server.#user ?? {}) },
      );
      await server.resume();
    } catch (e) {
      await server.destroy();
      throw e;
    }
    return server;
  }

  /** A URL for a database on this server (the superuser by default). */
  url(database = 'postgres', user = 'postgres'): string {
    return `postgres://${user}@127.0.0.1:${this.port}/${database}`;
  }

  /** Whether the postmaster this object started is still running. */
  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The server's log (stderr), for failure messages. */
  get log(): string {
    return this.#log;
  }

  /** Starts the postmaster on the existing data directory and waits until it accepts connections. */
  async resume(timeoutMs = 30_000): Promise<void> {
    if (this.running) return;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const child = spawn(
        join(PG_BIN, 'postgres'),
        [
          '-D',
          this.dataDir,
          '-p',
          String(this.port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `unix_socket_directories=${this.dir}`,
          '-c',
          'fsync=on',
          '-c',
          'synchronous_commit=on',
          '-c',
          'shared_buffers=16MB',
          '-c',
          'max_connections=60',
          '-c',
          'logging_collector=off',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'], ...(this.#user ?? {}) },
      );
      this.#child = child;
      child.stderr!.on('data', (d: Buffer) => {
        this.#log = (this.#log + d.toString()).slice(-20_000);
      });
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      if (await this.#accepting(exited, deadline)) return;
      // After kill -9 of a postmaster its backends may hold the shared memory a moment longer.
      if (Date.now() > deadline) throw new Error(`private PostgreSQL did not start:\n${this.#log}`);
      await sleep(200);
    }
  }

  async #accepting(exited: Promise<void>, deadline: number): Promise<boolean> {
    let gone = false;
    void exited.then(() => (gone = true));
    while (!gone && Date.now() < deadline) {
      const c = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 1000 });
      try {
        await c.connect();
        await c.end();
        return true;
      } catch {
        await c.end().catch(() => {});
        await sleep(100);
      }
    }
    return false;
  }

  /** Fast shutdown (SIGINT): active transactions are rolled back, sessions are ended, then it exits. */
  async stopFast(): Promise<void> {
    await this.#signalAndWait('SIGINT');
  }

  /** kill -9 of the postmaster; its backends notice and exit on their own. */
  async killPostmaster(): Promise<void> {
    await this.#signalAndWait('SIGKILL');
  }

  async #signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
  }

  /** Runs SQL as the superuser on `database` (a fresh connection each time). */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    database = 'postgres',
  ): Promise<R[]> {
    const c = new pg.Client({ connectionString: this.url(database), connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      return (await c.query<R>(sql, params)).rows;
    } finally {
      await c.end();
    }
  }

  /** A session kept open by the test (to hold locks); closed by destroy() at the latest. */
  async session(database = 'postgres'): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: this.url(database), connectionTimeoutMillis: 5000 });
    c.on('error', () => {}); // the server may go away under it: that is what these tests do
    await c.connect();
    this.#sessions.push(c);
    return c;
  }

  readonly #sessions: pg.Client[] = [];

  /** SIGQUIT (immediate shutdown) without waiting: for the process 'exit' hook. */
  killNow(): void {
    if (this.running) this.#child!.kill('SIGQUIT');
  }

  /** Stops the server (fast, then immediate) and removes its directory. */
  async destroy(): Promise<void> {
    for (const c of this.#sessions.splice(0)) await c.end().catch(() => {});
    const child = this.#child;
    if (child && this.running) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), 5000);
      await exited;
      clearTimeout(timer);
    }
    running.delete(this);
    if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }
}
