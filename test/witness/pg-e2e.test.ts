// Two `witness serve` processes with one key on one real PostgreSQL database behave as one witness:
// among requests racing across both from the same old size exactly one gets 200, both serve the
// same cosigned checkpoint, and neither kill -9 nor a restart rolls the state back.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCheckpointNote } from '../../core/checkpoint.ts';
import { originHash } from '../../witness/store.ts';
import { freshPgUrl } from '../support/postgres.ts';
import { freePort, runFleetlog, startFleetlogServer, tempDir, type ServerProcess } from '../support/process.ts';
import { verifyCosignature } from './fixture.ts';
import { TestLog } from './test-log.ts';

const running: ServerProcess[] = [];
afterAll(async () => {
  for (const s of running) await s.stop('SIGKILL');
});

async function serve(dataDir: string, database: string): Promise<ServerProcess> {
  const port = await freePort();
  const server = await startFleetlogServer(
    ['witness', 'serve', '--data', dataDir, '--database', database, '--listen', `127.0.0.1:${port}`],
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

async function cosigned(server: ServerProcess, log: TestLog): Promise<string> {
  const res = await fetch(`${server.url}/${originHash(log.origin)}/checkpoint`);
  expect(res.status).toBe(200);
  return res.text();
}

describe('witness processes sharing one PostgreSQL database', () => {
  it('race as one witness: exactly one 200, the same state everywhere, no rollback after kill -9', {
    timeout: 120_000,
  }, async () => {
    const database = await freshPgUrl();
    const dirA = tempDir('fleetlog-witness-pg-a-');
    const dirB = tempDir('fleetlog-witness-pg-b-');
    const init = await runFleetlog([
      'witness',
      'init',
      '--data',
      dirA,
      '--name',
      'witness.example/pg',
      '--database',
      database,
    ]);
    expect(init.code, init.stderr).toBe(0);
    const vkey = init.stdout.trim();
    const again = await runFleetlog([
      'witness',
      'init',
      '--data',
      dirB,
      '--name',
      'witness.example/pg',
      '--database',
      database,
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds the witness/);
    copyFileSync(join(dirA, 'witness.key'), join(dirB, 'witness.key')); // the same witness: the same key
    const log = new TestLog('example.com/pg-log');
    const add = await runFleetlog([
      'witness',
      'add-log',
      '--data',
      dirA,
      '--database',
      database,
      '--origin',
      log.origin,
      '--vkey',
      log.vkey,
    ]);
    expect(add.code, add.stderr).toBe(0);

    const [a, b] = await Promise.all([serve(dirA, database), serve(dirB, database)]);
    log.grow(10);
    expect((await post(a, log.body(0))).status).toBe(200);
    // B sees what A cosigned: one state.
    expect(parseCheckpointNote(await cosigned(b, log)).checkpoint.size).toBe(10);

    log.grow(40);
    const bodies = Array.from({ length: 40 }, (_, i) => log.body(10, 11 + i));
    const replies = await Promise.all(bodies.map((body, i) => post(i % 2 === 0 ? a : b, body)));
    const wins = replies.filter((r) => r.status === 200);
    expect(wins).toHaveLength(1);
    const note = await cosigned(a, log);
    expect(await cosigned(b, log)).toBe(note);
    const winner = parseCheckpointNote(note).checkpoint.size;
    verifyCosignature(log.checkpoint(winner), wins[0]!.text, vkey);
    for (const r of replies.filter((x) => x.status !== 200))
      expect(r).toEqual({ status: 409, type: 'text/x.tlog.size', text: `${winner}\n` });

    // kill -9 of one process loses nothing and rolls nothing back; the other carries on.
    expect(await a.stop('SIGKILL')).toBeNull();
    expect(await post(b, log.body(0, 10))).toEqual({ status: 409, type: 'text/x.tlog.size', text: `${winner}\n` });
    const a2 = await serve(dirA, database);
    expect(await cosigned(a2, log)).toBe(note);
    expect((await post(a2, log.body(winner, 50))).status).toBe(200);
    expect(parseCheckpointNote(await cosigned(b, log)).checkpoint.size).toBe(50);
    const list = await runFleetlog(['witness', 'list-logs', '--data', dirB, '--database', database, '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject([{ origin: log.origin, treeSize: 50 }]);
    expect(await a2.stop('SIGTERM')).toBe(0);
    expect(await b.stop('SIGTERM')).toBe(0);
  });
});
