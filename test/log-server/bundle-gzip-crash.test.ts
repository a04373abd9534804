// SIGKILL while appends cross entry-bundle boundaries: the gzip of a full bundle is stored in the
// transaction that stores its last entry, so after any kill every full bundle has its compression,
// and the gzip answer always decodes to the bundle its rows make. Between rounds (server down),
// synthetic entries bring the log to a few entries short of the next boundary, so each round's
// appends and its kill land around a bundle's completion. Rounds alternate the writer modes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { growWithSyntheticEntries } from '../../bench/synthetic-entries.ts';
import { dbPath } from '../../log-server/data-dir.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { SqliteLogStorage } from '../../log-server/storage/sqlite-storage.ts';
import { runFleetlog, serveUnwitnessedLog, tempDir } from '../support/process.ts';
import { KEYS, POLICY } from './helpers.ts';

const ROUNDS = 4;

describe('stored bundle compressions across SIGKILL', () => {
  it('every full bundle served after the kills decodes to its rows', { timeout: 300_000 }, async () => {
    const dir = tempDir('fleetlog-bundle-crash-');
    const dataDir = join(dir, 'log');
    expect((await runFleetlog(['log', 'init', '--data', dataDir, '--origin', 'crash.example/log'])).code).toBe(0);
    const token = (await runFleetlog(['log', 'token', 'add', '--data', dataDir, '--name', 't'])).stdout.trim();
    const policyFile = join(dir, 'policy.txt');
    writeFileSync(policyFile, POLICY);
    const pairs = generatePairs(KEYS, 40 * ROUNDS);
    let next = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const storage = SqliteLogStorage.open(dbPath(dataDir));
      const size = (await storage.head()).entryCount;
      await growWithSyntheticEntries(storage, dataDir, (Math.floor(size / 256) + 1) * 256 - 6, 100);
      await storage.close();
      const server = await serveUnwitnessedLog(dataDir, policyFile, round % 2 === 1 ? ['--writer-thread'] : []);
      let acked = 0;
      let killed = false;
      const worker = async (): Promise<void> => {
        while (!killed && next < pairs.length) {
          const pair = pairs[next++]!;
          for (const entry of [pair.evidence, pair.keyset]) {
            try {
              const r = await fetch(`${server.url}/add-entry`, {
                method: 'POST',
                body: entry as BodyInit,
                headers: { authorization: `Bearer ${token}` },
              });
              await r.arrayBuffer();
              if (r.status === 200) acked += 1;
            } catch {
              return; // killed mid-request
            }
          }
        }
      };
      const work = Promise.all(Array.from({ length: 4 }, worker));
      // Before or past the boundary (6 short of it) in the first rounds, past it in the last two;
      // killed at a random moment after.
      while (acked < 3 + 2 * round) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.random() * 100));
      killed = true;
      expect(await server.stop('SIGKILL')).toBeNull();
      await work;
    }
    // Read before any request could store one lazily: every full bundle's compression was stored
    // with its entries.
    const storage = SqliteLogStorage.open(dbPath(dataDir));
    const full = Math.floor((await storage.head()).entryCount / 256);
    try {
      expect(full).toBeGreaterThanOrEqual(2);
      for (let n = 0; n < full; n++) expect(await storage.readBundleGzip(n), `bundle ${n}`).toBeDefined();
    } finally {
      await storage.close();
    }
    const server = await serveUnwitnessedLog(dataDir, policyFile);
    try {
      for (let n = 0; n < full; n++) {
        const path = `${server.url}/tile/entries/${String(n).padStart(3, '0')}`;
        const gz = await fetch(path, { headers: { 'accept-encoding': 'gzip' } });
        expect(gz.headers.get('content-encoding')).toBe('gzip'); // fetch decodes the body
        const rows = await fetch(path, { headers: { 'accept-encoding': 'identity' } });
        expect(rows.headers.get('content-encoding')).toBeNull();
        const same = Buffer.from(await gz.arrayBuffer()).equals(Buffer.from(await rows.arrayBuffer()));
        expect(same, `bundle ${n}`).toBe(true);
      }
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });
});
