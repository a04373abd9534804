// Connections an unauthenticated peer opens and never uses must not take a server off the air:
// silent ones are closed, and past the cap the longest-idle one makes room for the newcomer.
// Before service/connection-guard.ts, 25,000 silent connections exhausted the log's file
// descriptors and every later client was refused until the attacker let go.
import { Hono } from 'hono';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PENDING_REQUESTS_PER_CONNECTION } from '../../service/connection-guard.ts';
import { startHttpServer, type RunningServer } from '../../service/serve.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { freePort, runFleetlog, startFleetlogServer, tempDir } from '../support/process.ts';
import { KEYS, POLICY } from '../log-server/helpers.ts';

/** Opens `n` TCP connections that send nothing; resolves once each has connected or failed. */
async function silentConnections(port: number, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const settled: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    sockets.push(s);
    settled.push(
      new Promise((r) => {
        s.once('connect', () => r());
        s.once('close', () => r());
      }),
    );
  }
  await Promise.all(settled);
  return sockets;
}

const closedCount = (sockets: Socket[]): number => sockets.filter((s) => s.closed || s.readableEnded).length;

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

const opened: Socket[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.destroy();
});

describe('the connection guard (in process)', () => {
  let server: RunningServer | undefined;
  // Lets the slow route answer; afterEach calls it too, so a failed test still closes the server.
  let release: () => void = () => {};
  afterEach(async () => {
    release();
    await server?.close();
    server = undefined;
  });

  it('closes connections silent past the first-request deadline, and makes room by closing the longest idle', async () => {
    const answered = new Promise<void>((r) => (release = r));
    const app = new Hono();
    app.get('/ok', (c) => c.text('ok'));
    app.get('/slow', async (c) => {
      await answered;
      return c.text('slow');
    });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 }, undefined, {
      maxConnections: 20,
      firstRequestMs: 400,
    });
    // A request in flight is never closed to make room.
    const slow = fetch(`${server.url}/slow`);
    await waitFor(() => server!.connections().open === 1, 2000);

    const silent = await silentConnections(server.port, 60);
    opened.push(...silent);
    // The client sees a connection before the server accepts it: wait until the server saw all.
    const seen = (): number => server!.connections().open + server!.connections().evicted;
    expect(await waitFor(() => seen() >= 61, 5000)).toBe(true);
    // The cap holds: the oldest silent connections were closed for the newer ones.
    expect(server.connections().open).toBeLessThanOrEqual(20);
    expect(server.connections().evicted).toBeGreaterThanOrEqual(40);
    // A client that connects and asks at once is served although the cap is full of silence.
    const ok = await fetch(`${server.url}/ok`, { signal: AbortSignal.timeout(3000) });
    expect(await ok.text()).toBe('ok');
    // The silent ones that remained are closed once their first-request deadline passes.
    expect(await waitFor(() => closedCount(silent) === silent.length, 5000)).toBe(true);
    expect(server.connections().silentClosed).toBeGreaterThan(0);

    release();
    expect(await (await slow).text()).toBe('slow');
  });

  it('closes a connection that pipelines more than 8 requests without reading, before the app sees the rest', async () => {
    let calls = 0;
    const app = new Hono();
    app.get('/big', async (c) => {
      calls++;
      await new Promise((r) => setTimeout(r, 1));
      return c.body(new Uint8Array(300_000));
    });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
    const s = connect(server.port, '127.0.0.1');
    opened.push(s);
    s.on('error', () => {});
    s.pause(); // never read the answers
    // 2,000 requests in ~60 kB: before the limit the server built and buffered 2,000 answers (600 MB).
    s.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2000));
    expect(await waitFor(() => server!.connections().pipelineClosed === 1, 5000)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBeLessThanOrEqual(MAX_PENDING_REQUESTS_PER_CONNECTION);
    // A client that reads its answers may keep asking on one connection.
    for (let i = 0; i < 40; i++) expect((await fetch(`${server.url}/big`)).status).toBe(200);
  });

  it('closes a connection whose answer the client does not read, and not one that reads slowly', async () => {
    const app = new Hono();
    app.get('/big', (c) => c.body(new Uint8Array(32 * 1024 * 1024)));
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 }, undefined, { stalledWriteMs: 2000 });
    const stalled = connect(server.port, '127.0.0.1');
    const slow = connect(server.port, '127.0.0.1');
    opened.push(stalled, slow);
    let slowBytes = 0;
    for (const s of [stalled, slow]) {
      s.on('error', () => {});
      s.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    }
    stalled.pause(); // asks for 32 MiB and never reads
    // Takes one chunk, then rests 20 ms: the 32 MiB answer takes seconds, but it moves.
    let resting = false;
    slow.on('data', (chunk: Buffer) => {
      slowBytes += chunk.length;
      slow.pause();
      if (!resting) {
        resting = true;
        setTimeout(() => {
          resting = false;
          slow.resume();
        }, 20);
      }
    });
    try {
      expect(
        await waitFor(() => server!.connections().stalledClosed === 1, 10_000),
        JSON.stringify({ ...server.connections(), slowBytes }),
      ).toBe(true);
      expect(server.connections().open).toBe(1); // the server let go of the stalled one (a paused client sees no EOF)
      await new Promise((r) => setTimeout(r, 1500));
      expect(server.connections().stalledClosed).toBe(1); // the slow reader is still there
      expect(slow.closed).toBe(false);
      expect(slowBytes).toBeGreaterThan(0);
    } finally {
      slow.destroy();
    }
  });

  it('closes at once on shutdown although silent connections are open', async () => {
    const app = new Hono();
    app.get('/ok', (c) => c.text('ok'));
    const running = await startHttpServer(app, { host: '127.0.0.1', port: 0 }, undefined, {
      firstRequestMs: 60_000,
    });
    opened.push(...(await silentConnections(running.port, 5)));
    await waitFor(() => running.connections().open === 5, 5000);
    const started = Date.now();
    await running.close();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('fleetlog log serve under a small file-descriptor limit', () => {
  it('keeps answering reads and appends while 400 silent connections are held open', { timeout: 180_000 }, async () => {
    const dir = tempDir('fleetlog-conn-guard-');
    const dataDir = join(dir, 'log');
    expect((await runFleetlog(['log', 'init', '--data', dataDir, '--origin', 'guard.example/log'])).code).toBe(0);
    const token = (await runFleetlog(['log', 'token', 'add', '--data', dataDir, '--name', 't'])).stdout.trim();
    const policyFile = join(dir, 'policy.txt');
    writeFileSync(policyFile, POLICY);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // 256 descriptors: without a connection cap, 400 silent connections leave none to accept with.
    const server = await startFleetlogServer(
      ['log', 'serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`, '--policy', policyFile, '--no-witnesses'],
      url,
      { env: { FLEETLOG_LOG_LEVEL: 'warn' }, openFiles: 256, timeoutMs: 90_000 },
    );
    try {
      const silent = await silentConnections(port, 400);
      opened.push(...silent);
      const checkpoint = await fetch(`${url}/checkpoint`, { signal: AbortSignal.timeout(5000) });
      expect(checkpoint.status).toBe(200);
      const [pair] = generatePairs(KEYS, 1);
      const added = await fetch(`${url}/add-entry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: pair!.evidence as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(10_000),
      });
      expect(added.status, await added.clone().text()).toBe(200);
      expect(((await added.json()) as { index: number }).index).toBe(0);
    } finally {
      await server.stop('SIGKILL');
    }
  });
});
