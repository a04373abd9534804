// kill -9 of `log serve --publish-dir` while it appends and publishes, each time while a file is
// being written (a temporary file exists), when we catch one in time: after every kill the
// directory is valid for the checkpoint it holds (every tile, bundle and gzip copy it needs is
// there and right), the checkpoint never moves back, and the restarted server carries on until
// the directory holds the log's newest checkpoint.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { serveUnwitnessedLog, type ServerProcess } from '../support/process.ts';
import { freshLog, KEYS, POLICY } from './helpers.ts';
import { checkPublishDir } from './publish-dir-check.ts';

/** Appends evidence + key set pairs with 8 clients until the server dies. */
function appendUntilKilled(url: string, token: string): Promise<void> {
  const pairs = generatePairs(KEYS, 2000);
  let next = 0;
  return Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < pairs.length) {
        const pair = pairs[next++]!;
        for (const body of [pair.evidence, pair.keyset]) {
          try {
            const res = await fetch(`${url}/add-entry`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}` },
              body: body as BodyInit,
            });
            await res.arrayBuffer();
            if (res.status !== 200) return;
          } catch {
            return; // the server was killed
          }
        }
      }
    }),
  ).then(() => {});
}

/** SIGKILL as soon as the publisher has a temporary file open (between create and rename). */
async function killMidWrite(server: ServerProcess, tmpDir: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (readdirSync(tmpDir).length > 0) break;
    await new Promise((r) => setImmediate(r));
  }
  await server.stop('SIGKILL');
}

describe('static publisher under kill -9', () => {
  it('leaves a directory valid for its checkpoint after every kill, and catches up after restart', {
    timeout: 120_000,
  }, async () => {
    const { dir, dataDir, vkey, token } = await freshLog();
    const policyFile = join(dir, 'policy.txt');
    writeFileSync(policyFile, POLICY); // quorum none: every checkpoint is published at once
    const publishDir = join(dir, 'public');
    const sizes: number[] = [];
    for (let round = 0; round < 3; round++) {
      const server = await serveUnwitnessedLog(
        dataDir,
        policyFile,
        ['--publish-dir', publishDir, '--batch-max-wait', '1ms'],
        'error',
      );
      const load = appendUntilKilled(server.url, token);
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 500));
      await killMidWrite(server, join(publishDir, '.tmp'));
      await load;
      const size = checkPublishDir(publishDir, vkey);
      expect(size, `round ${round}: the checkpoint moved back`).toBeGreaterThanOrEqual(sizes.at(-1) ?? 0);
      sizes.push(size);
    }
    expect(sizes.at(-1)).toBeGreaterThan(0);

    const server = await serveUnwitnessedLog(
      dataDir,
      policyFile,
      ['--publish-dir', publishDir, '--batch-max-wait', '1ms'],
      'error',
    );
    try {
      const health = (await (await fetch(`${server.url}/health`)).json()) as { size: number };
      const deadline = Date.now() + 30_000;
      for (;;) {
        const status = (await (await fetch(`${server.url}/health`)).json()) as {
          staticTiles: { size: number | null; lastError?: string };
        };
        expect(status.staticTiles.lastError).toBeUndefined();
        if (status.staticTiles.size === health.size) break;
        if (Date.now() > deadline) throw new Error(`the directory stayed at ${status.staticTiles.size}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(checkPublishDir(publishDir, vkey)).toBe(health.size);
      // Start-up emptied the temporary files the killed processes left behind.
      expect(readdirSync(join(publishDir, '.tmp'))).toEqual([]);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });
});
