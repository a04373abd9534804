// End to end over real sockets and real processes: the CLI, the load generator, SIGTERM draining,
// and the crash test (SIGKILL under concurrent appends, restart, repeat; every acknowledged entry
// stays at its index and every checkpoint ever served is consistent with the newest).
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBase64, fromHex } from '../../core/bytes.ts';
import { openCheckpoint, type Checkpoint } from '../../core/checkpoint.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { verifyConsistency } from '../../core/merkle/verify.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { freePort, runFleetlog, serveUnwitnessedLog, tempDir } from '../support/process.ts';
import { checkAnswer, KEYS, POLICY, type AddEntryAnswer } from './helpers.ts';

async function setUp(): Promise<{ dataDir: string; policyFile: string; vkey: string; token: string }> {
  const dir = tempDir('fleetlog-log-e2e-');
  const dataDir = join(dir, 'log');
  const init = await runFleetlog(['log', 'init', '--data', dataDir, '--origin', 'e2e.example/log']);
  expect(init.code, init.stderr).toBe(0);
  const token = await runFleetlog(['log', 'token', 'add', '--data', dataDir, '--name', 'e2e']);
  expect(token.code, token.stderr).toBe(0);
  const policyFile = join(dir, 'policy.txt');
  writeFileSync(policyFile, POLICY);
  return { dataDir, policyFile, vkey: init.stdout.trim(), token: token.stdout.trim() };
}

describe('fleetlog log (processes)', () => {
  it('init, token, load and serve work from the command line, and SIGTERM exits 0', { timeout: 180_000 }, async () => {
    const { dataDir, policyFile, token, vkey } = await setUp();
    expect(vkey).toMatch(/^e2e\.example\/log\+[0-9a-f]{8}\+/);
    expect(statSync(join(dataDir, 'log.key')).mode & 0o777).toBe(0o600);
    const [again, printed, server] = await Promise.all([
      runFleetlog(['log', 'init', '--data', dataDir, '--origin', 'e2e.example/log']),
      runFleetlog(['log', 'load', '--seed', 'log-server-tests', '--print-policy']),
      // The optional threads (writer, validation) run here; the crash test below uses the defaults.
      serveUnwitnessedLog(dataDir, policyFile, ['--writer-thread', '--threads', '1']),
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/refusing to overwrite/);
    // --print-policy prints only the fleetlog lines (no quorum line), to append to a real policy.
    expect(printed.stdout).not.toMatch(/^quorum/m);
    expect(`quorum none\n${printed.stdout}`).toBe(POLICY);

    try {
      const load = await runFleetlog([
        'log',
        'load',
        '--log',
        server.url,
        '--token',
        token,
        '--seed',
        'log-server-tests',
        '--count',
        '20',
        '--concurrency',
        '4',
        '--json',
      ]);
      expect(load.code, load.stderr).toBe(0);
      const report = JSON.parse(load.stdout) as { entries: number; failures: number; latencyMs: { p99: number } };
      expect(report).toMatchObject({ entries: 40, failures: 0 });
      expect(report.latencyMs.p99).toBeGreaterThan(0);

      const port = await freePort();
      const [list, second] = await Promise.all([
        runFleetlog(['log', 'token', 'list', '--data', dataDir, '--json']),
        // A second server on the same data refuses to start: one writer.
        runFleetlog(['log', 'serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`, '--no-witnesses'], {
          timeoutMs: 30_000,
        }),
      ]);
      expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'e2e', revokedAt: null }]);
      expect(list.stdout).not.toContain(token);
      expect(second.code).toBe(2);
      expect(second.stderr).toMatch(/another log server/);
      const revoke = await runFleetlog(['log', 'token', 'revoke', '--data', dataDir, '--name', 'e2e']);
      expect(revoke.code, revoke.stderr).toBe(0);
      const refused = await fetch(`${server.url}/add-entry`, {
        method: 'POST',
        body: generatePairs(KEYS, 1)[0]!.evidence as BodyInit,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(refused.status).toBe(401);
    } finally {
      // SIGTERM drains and exits 0.
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });

  it('survives SIGKILL under concurrent appends, repeatedly, without losing or moving acknowledged entries', {
    timeout: 180_000,
  }, async () => {
    const { dataDir, policyFile, token, vkey } = await setUp();
    const verifier = ed25519NoteVerifier(vkey);
    const acked = new Map<number, { leafHash: string; entry: Uint8Array }>();
    const served: Checkpoint[] = [];
    const pairs = generatePairs(KEYS, 300);
    let nextPair = 0;

    for (let round = 0; round < 3; round++) {
      const server = await serveUnwitnessedLog(dataDir, policyFile);
      let killed = false;
      const submit = async (entry: Uint8Array): Promise<boolean> => {
        let res: Response;
        try {
          res = await fetch(`${server.url}/add-entry`, {
            method: 'POST',
            body: entry as BodyInit,
            headers: { authorization: `Bearer ${token}` },
          });
        } catch {
          return false; // the server died mid-request: not acknowledged
        }
        if (res.status !== 200) {
          await res.arrayBuffer().catch(() => {});
          return false;
        }
        const answer = (await res.json()) as AddEntryAnswer;
        served.push(checkAnswer(answer, entry, vkey));
        const previous = acked.get(answer.index);
        if (previous) expect(previous.leafHash).toBe(answer.leafHash);
        acked.set(answer.index, { leafHash: answer.leafHash, entry });
        return true;
      };
      const worker = async (): Promise<void> => {
        while (!killed && nextPair < pairs.length) {
          const pair = pairs[nextPair++]!;
          if (await submit(pair.evidence)) await submit(pair.keyset);
        }
      };
      const poller = async (): Promise<void> => {
        while (!killed) {
          try {
            const res = await fetch(`${server.url}/checkpoint`);
            if (res.status === 200) served.push(openCheckpoint(await res.text(), [verifier]).checkpoint);
          } catch {
            return;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const work = Promise.all([...Array.from({ length: 8 }, worker), poller()]);
      const before = acked.size;
      // Kill once this round has made progress, at a random moment.
      while (acked.size < before + 20) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 300));
      killed = true;
      expect(await server.stop('SIGKILL')).toBeNull();
      await work;
    }

    const server = await serveUnwitnessedLog(dataDir, policyFile);
    try {
      const newest = openCheckpoint(await (await fetch(`${server.url}/checkpoint`)).text(), [verifier]).checkpoint;
      expect(acked.size).toBeGreaterThan(60);
      for (const [index, { leafHash: hash, entry }] of acked) {
        expect(index).toBeLessThan(newest.size);
        const res = await fetch(`${server.url}/entry/${index}`);
        expect(res.status).toBe(200);
        const stored = new Uint8Array(await res.arrayBuffer());
        expect(Buffer.from(leafHash(stored)).toString('hex')).toBe(hash);
        expect(stored).toEqual(entry);
      }
      for (const cp of served) {
        expect(cp.size).toBeLessThanOrEqual(newest.size);
        const res = (await (
          await fetch(`${server.url}/proof/consistency?old=${cp.size}&new=${newest.size}`)
        ).json()) as { proof: string[] };
        expect(
          verifyConsistency(
            cp.size,
            newest.size,
            cp.rootHash,
            newest.rootHash,
            res.proof.map((h) => fromBase64(h, 32)),
          ),
          `checkpoint ${cp.size}`,
        ).toBe(true);
      }
      // Dedup survives the crashes: an acknowledged entry resubmitted keeps its index.
      const [someIndex, some] = [...acked][0]!;
      const dup = (await (
        await fetch(`${server.url}/add-entry`, {
          method: 'POST',
          body: some.entry as BodyInit,
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as AddEntryAnswer;
      expect(dup).toMatchObject({ index: someIndex, duplicate: true, leafHash: some.leafHash });
      expect(fromHex(dup.leafHash, 32).length).toBe(32);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });
});
