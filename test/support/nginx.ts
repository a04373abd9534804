/**
 * Debian's nginx for tests and benchmarks: the repository's deploy/nginx/fleetlog-tiles.conf,
 * rendered for a free 127.0.0.1 port and a publish directory, inside a generated main config that
 * keeps everything (pid, logs, temp paths) under a temporary prefix. Runs in the foreground
 * (`daemon off`) so stopping the child stops nginx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, REPO_ROOT, tempDir } from './process.ts';

export const NGINX_BIN = '/usr/sbin/nginx';
export const TILES_CONF = join(REPO_ROOT, 'deploy/nginx/fleetlog-tiles.conf');

/** The repository's nginx server block for a listen address and a publish directory. */
export function renderTilesConf(listen: string, root: string): string {
  return readFileSync(TILES_CONF, 'utf8').replaceAll('@LISTEN@', listen).replaceAll('@ROOT@', root);
}

export interface RunningNginx {
  readonly url: string;
  readonly child: ChildProcess;
  /** Fast shutdown (SIGTERM); resolves when nginx has exited. */
  stop(): Promise<void>;
  errorLog(): string;
}

/**
 * Starts nginx serving `root` with the repository's configuration. `extraServers` are more server
 * blocks for the same http context (the benchmark's plain-file baseline), with `@PORT@` replaced
 * by a second free port, returned as `extraUrl`.
 */
export async function startNginx(
  root: string,
  options: { extraServers?: string } = {},
): Promise<RunningNginx & { extraUrl: string }> {
  const prefix = tempDir('fleetlog-nginx-');
  const port = await freePort();
  const extraPort = await freePort();
  writeFileSync(join(prefix, 'fleetlog-tiles.conf'), renderTilesConf(`127.0.0.1:${port}`, root));
  const asRoot = process.getuid?.() === 0;
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `    ${t}_temp_path ${join(prefix, t)};`)
    .join('\n');
  writeFileSync(
    join(prefix, 'nginx.conf'),
    [
      'daemon off;',
      // The publish directory is a 0700 temporary directory of the user running the tests.
      asRoot ? 'user root;' : '',
      'worker_processes 1;',
      `pid ${join(prefix, 'nginx.pid')};`,
      `error_log ${join(prefix, 'error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '    access_log off;',
      temp,
      `    include ${join(prefix, 'fleetlog-tiles.conf')};`,
      (options.extraServers ?? '').replaceAll('@PORT@', String(extraPort)),
      '}',
      '',
    ].join('\n'),
  );
  const child = spawn(NGINX_BIN, ['-c', join(prefix, 'nginx.conf'), '-p', prefix], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const errorLog = (): string => {
    try {
      return out + readFileSync(join(prefix, 'error.log'), 'utf8');
    } catch {
      return out;
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`nginx exited early (${child.exitCode ?? child.signalCode}):\n${errorLog()}`);
    try {
      await fetch(`${url}/checkpoint`, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`nginx did not answer within 15 s:\n${errorLog()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    extraUrl: `http://127.0.0.1:${extraPort}`,
    child,
    errorLog,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
