// End to end with real processes: the `fleetlog witness` commands, a served witness that survives
// SIGKILL without rolling back and exits 0 on SIGTERM, and two witness processes racing on one
// database where the compare-and-swap lets exactly one request win.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseCheckpointNote } from '../../core/checkpoint.ts';
import { KEY_TYPE_COSIGNATURE, parseVerifierKey } from '../../core/note/keys.ts';
import { MAX_ADD_CHECKPOINT_BYTES } from '../../core/witness-request.ts';
import { originHash } from '../../witness/store.ts';
import { freePort, runFleetlog, startFleetlogServer, tempDir, type ServerProcess } from '../support/process.ts';
import { verifyCosignature } from './fixture.ts';
import { TestLog } from './test-log.ts';

const dataDir = tempDir('fleetlog-witness-e2e-');
const log = new TestLog('example.com/e2e-log');
let vkey = '';
const running: ServerProcess[] = [];

async function serve(): Promise<ServerProcess> {
  const port = await freePort();
  const server = await startFleetlogServer(
    ['witness', 'serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`],
    `http://127.0.0.1:${port}`,
  );
  running.push(server);
  return server;
}

async function post(
  server: ServerProcess,
  body: string,
): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${server.url}/add-checkpoint`, { method: 'POST', body });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

async function cosignedSize(server: ServerProcess): Promise<number> {
  const res = await fetch(`${server.url}/${originHash(log.origin)}/checkpoint`);
  expect(res.status).toBe(200);
  return parseCheckpointNote(await res.text()).checkpoint.size;
}

beforeAll(async () => {
  const init = await runFleetlog(['witness', 'init', '--data', dataDir, '--name', 'witness.example/e2e']);
  expect(init.code, init.stderr).toBe(0);
  vkey = init.stdout.trim();
});

afterAll(async () => {
  for (const s of running) await s.stop('SIGKILL');
});

describe('fleetlog witness commands', () => {
  it('init prints a type-0x04 vkey, writes the key 0600 and refuses to run twice', async () => {
    const key = parseVerifierKey(vkey);
    expect(key.type).toBe(KEY_TYPE_COSIGNATURE);
    expect(key.name).toBe('witness.example/e2e');
    expect(statSync(join(dataDir, 'witness.key')).mode & 0o777).toBe(0o600);
    const again = await runFleetlog(['witness', 'init', '--data', dataDir, '--name', 'witness.example/e2e']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('refusing to overwrite');
  });

  it('add-log, list-logs and remove-log manage the logs; a key type fleetlog does not know is refused', async () => {
    const unknownType = `${log.origin}+00000000+${Buffer.concat([Buffer.from([0x05]), Buffer.alloc(32, 7)]).toString('base64')}`;
    const other = new TestLog('example.com/other-log');
    const [refused, added, addedOther] = await Promise.all([
      runFleetlog(['witness', 'add-log', '--data', dataDir, '--origin', log.origin, '--vkey', unknownType]),
      runFleetlog(['witness', 'add-log', '--data', dataDir, '--origin', log.origin, '--vkey', log.vkey]),
      runFleetlog(['witness', 'add-log', '--data', dataDir, '--origin', other.origin, '--vkey', other.vkey]),
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('unsupported key type 0x05');
    expect([added.code, addedOther.code]).toEqual([0, 0]);
    expect((await runFleetlog(['witness', 'remove-log', '--data', dataDir, '--origin', other.origin])).code).toBe(0);
    const listed = await runFleetlog(['witness', 'list-logs', '--data', dataDir, '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([
      { origin: log.origin, originHash: originHash(log.origin), vkeys: [log.vkey] },
    ]);
  });
});

describe('a served witness', () => {
  it('cosigns over HTTP, survives SIGKILL without rolling back, and exits 0 on SIGTERM', async () => {
    let server = await serve();
    log.grow(100);
    let last = 0;
    for (const step of [0, 27, 64, 129]) {
      log.grow(step);
      const reply = await post(server, log.body(last));
      expect(reply.status, reply.text).toBe(200);
      verifyCosignature(log.checkpoint(), reply.text, vkey);
      last = log.size;
    }
    // The cosignature is answered only after the commit, so SIGKILL right now loses nothing.
    expect(await server.stop('SIGKILL')).toBeNull();

    server = await serve();
    expect(await cosignedSize(server)).toBe(last);
    expect(await post(server, log.body(0))).toEqual({ status: 409, type: 'text/x.tlog.size', text: `${last}\n` });
    expect((await post(server, log.body(100, 100))).status).toBe(409); // an older checkpoint: no rollback
    log.grow(1);
    expect((await post(server, log.body(last))).status).toBe(200);
    // Oversized bodies are refused with 400 whether declared up front or streamed in chunks.
    const huge = `old ${last}\n\n${'x'.repeat(MAX_ADD_CHECKPOINT_BYTES + 1)}`;
    expect((await post(server, huge)).status).toBe(400);
    const chunks = new TextEncoder().encode(huge);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < chunks.length; at += 8192) controller.enqueue(chunks.subarray(at, at + 8192));
        controller.close();
      },
    });
    const chunked = await fetch(`${server.url}/add-checkpoint`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(400);
    expect(await cosignedSize(server)).toBe(last + 1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('fleetlog_witness_add_checkpoint_total{status="200"} 1');
    expect(metrics).toContain('fleetlog_witness_add_checkpoint_total{status="400"} 2');
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  it('two witness processes on one database: one winner among racing requests from the same old size', async () => {
    const [a, b] = await Promise.all([serve(), serve()]);
    const held = log.size;
    expect(await cosignedSize(a)).toBe(held);
    log.grow(40);
    const bodies = Array.from({ length: 40 }, (_, i) => log.body(held, held + 1 + i));
    const replies = await Promise.all(bodies.map((body, i) => post(i % 2 === 0 ? a : b, body)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    const winner = await cosignedSize(b);
    expect(winner).toBeGreaterThan(held);
    for (const r of replies.filter((x) => x.status !== 200))
      expect(r).toEqual({ status: 409, type: 'text/x.tlog.size', text: `${winner}\n` });
    expect(await a.stop('SIGTERM')).toBe(0);
    expect(await b.stop('SIGTERM')).toBe(0);
  });
});
