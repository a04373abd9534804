// A client that pipelines requests and never reads the answers must not make the server build and
// keep thousands of answers: a real socket against startHttpServer (the witness and the log use it).
import { Hono } from 'hono';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PENDING_REQUESTS_PER_CONNECTION, startHttpServer, type RunningServer } from '../../service/serve.ts';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server whose one route answers 20 KB and counts how often it ran. */
async function countingServer(): Promise<{ handled: () => number }> {
  let handled = 0;
  const app = new Hono();
  app.get('/big', (c) => {
    handled++;
    return c.text('x'.repeat(20_000));
  });
  server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  return { handled: () => handled };
}

/** Sends `count` pipelined GETs in one write and collects what comes back within `ms`. */
function pipeline(count: number, ms: number): Promise<{ answers: number; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(server!.port, '127.0.0.1');
    let received = '';
    let closedByServer = false;
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => (closedByServer = true));
    socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(count));
    setTimeout(() => {
      socket.destroy();
      resolve({ answers: (received.match(/HTTP\/1\.1 200/g) ?? []).length, closedByServer });
    }, ms);
  });
}

describe('pipelined requests', () => {
  it('a connection that queues 2,000 requests in one write is closed after a few, not answered 2,000 times', async () => {
    const { handled } = await countingServer();
    const { closedByServer } = await pipeline(2000, 3000);
    expect(closedByServer).toBe(true);
    expect(handled()).toBeLessThanOrEqual(MAX_PENDING_REQUESTS_PER_CONNECTION);
    // The server still serves other connections.
    expect((await fetch(`${server!.url}/big`)).status).toBe(200);
  });

  it('a client that pipelines within the limit gets every answer, in order', async () => {
    const { handled } = await countingServer();
    const { answers } = await pipeline(MAX_PENDING_REQUESTS_PER_CONNECTION, 1500);
    expect(answers).toBe(MAX_PENDING_REQUESTS_PER_CONNECTION);
    expect(handled()).toBe(MAX_PENDING_REQUESTS_PER_CONNECTION);
  });
});
