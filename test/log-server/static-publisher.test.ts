// The static publisher in process: the directory follows the log, is valid for its checkpoint at
// every step, and survives an interrupted round at every write (each write point is a place a
// crash can stop it); a new publisher on the same directory carries on, and a foreign directory is
// refused.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signCheckpoint } from '../../core/checkpoint.ts';
import { isFleetlogError } from '../../core/errors.ts';
import { EMPTY_ROOT } from '../../core/merkle/hash.ts';
import { generateKey, KEY_TYPE_ED25519, parseSignerKey } from '../../core/note/keys.ts';
import { ed25519NoteSigner } from '../../core/note/verifiers.ts';
import { dbPath } from '../../log-server/data-dir.ts';
import { startLogServer } from '../../log-server/index.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { ProofService } from '../../log-server/proofs.ts';
import { StaticPublisher, type StaticPublisherOptions } from '../../log-server/static-publisher.ts';
import { SqliteLogStorage } from '../../log-server/storage/sqlite-storage.ts';
import { TileReader } from '../../log-server/tile-reader.ts';
import { writeFileAtomicBatched } from '../../service/durable-files.ts';
import { silentLogger } from '../../service/logger.ts';
import { tempDir } from '../support/process.ts';
import { freshLog, KEYS, POLICY } from './helpers.ts';
import { checkPublishDir } from './publish-dir-check.ts';

/** Submits groups with `concurrency` clients, each group's entries in order; all must be accepted. */
async function submitAll(url: string, token: string, groups: readonly Uint8Array[][], concurrency = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < groups.length) {
        for (const body of groups[next++]!) {
          const res = await fetch(`${url}/add-entry`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}` },
            body: body as BodyInit,
          });
          expect(res.status, await res.text()).toBe(200);
        }
      }
    }),
  );
}

/** Evidence + key set for `fleets` fleets, or (`evidenceOnly`) just evidence: entries without a bundle. */
function entries(fleets: number, evidenceOnly = false): Uint8Array[][] {
  return generatePairs(KEYS, fleets).map((p) => (evidenceOnly ? [p.evidence] : [p.evidence, p.keyset]));
}

/** Directories for the crash points: tmpfs when there is one (the test is about order, not the disk). */
function scratchDir(): string {
  return existsSync('/dev/shm') ? mkdtempSync('/dev/shm/fleetlog-publish-') : tempDir('fleetlog-publish-');
}

/** A publisher over a stopped log's storage, publishing the checkpoint of `size` it signed. */
async function publisherAt(
  dataDir: string,
  vkey: string,
  dir: string,
  size: number,
  extra: Partial<StaticPublisherOptions> = {},
): Promise<{ publisher: StaticPublisher; close(): Promise<void> }> {
  const storage = SqliteLogStorage.open(dbPath(dataDir));
  const stored = await storage.checkpointAt(size);
  if (!stored) throw new Error(`no checkpoint of size ${size}`);
  const publisher = await StaticPublisher.open({
    dir,
    origin: 'test.example/log',
    vkey,
    storage,
    tiles: new TileReader(storage),
    proofs: new ProofService(storage),
    published: () => stored,
    logger: silentLogger,
    retryBaseMs: 60_000,
    ...extra,
  }).catch(async (e: unknown) => {
    await storage.close();
    throw e;
  });
  return {
    publisher,
    close: async () => {
      await publisher.close();
      await storage.close();
    },
  };
}

describe('static publisher', () => {
  it('keeps the directory a valid copy of the log as it grows, and a new publisher carries on from any state', {
    timeout: 120_000,
  }, async () => {
    const { dir, dataDir, vkey, token } = await freshLog();
    const publishDir = join(dir, 'public');
    const server = await startLogServer({
      dataDir,
      policyText: POLICY, // quorum none: every checkpoint is published at once
      publishDir,
      publishPartialGraceMs: 0,
      batchMaxWaitMs: 1,
      logger: silentLogger,
    });
    const sizes: number[] = [];
    try {
      // 40 entries (20 fleets), 260 (a full tile; evidence only), 300 (20 more fleets).
      for (const batch of [entries(20), entries(220, true), entries(20)]) {
        await submitAll(server.url, token, batch);
        const { size } = (await (await fetch(`${server.url}/health`)).json()) as { size: number };
        // While the publisher works, the directory is valid at every moment we look.
        const deadline = Date.now() + 20_000;
        for (;;) {
          const onDisk = checkPublishDir(publishDir, vkey);
          const health = (await (await fetch(`${server.url}/health`)).json()) as {
            staticTiles: { size: number | null };
          };
          if (onDisk === size && health.staticTiles.size === size) break;
          if (Date.now() > deadline) throw new Error(`the directory stayed at ${onDisk}, the log is at ${size}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        sizes.push(size);
      }
      const status = (await (await fetch(`${server.url}/health`)).json()) as { staticTiles: unknown };
      expect(status.staticTiles).toMatchObject({ dir: publishDir, size: sizes[2], consecutiveFailures: 0 });
    } finally {
      await server.close();
    }
    expect(sizes).toEqual([40, 260, 300]);
    // The checkpoint on disk is exactly what /checkpoint served, every fleet has its bundle, and the
    // partial tiles of the full tile 0 were swept (grace 0) while the current partial stays.
    const fleets = readdirSync(join(publishDir, 'fleet-bundle'));
    expect(fleets).toHaveLength(40);
    expect(existsSync(join(publishDir, 'tile/0/000'))).toBe(true);
    expect(existsSync(join(publishDir, 'tile/0/000.p'))).toBe(false);
    expect(existsSync(join(publishDir, 'tile/entries/000.p'))).toBe(false);
    // Partials of a position not yet full stay (a reader of an older checkpoint may need them).
    expect(readdirSync(join(publishDir, 'tile/0/001.p'))).toContain('44');
    expect(readdirSync(join(publishDir, 'tile/entries/001.p'))).toEqual(expect.arrayContaining(['44', '44.gz']));
    expect(readdirSync(join(publishDir, '.tmp'))).toEqual([]);

    // Interrupt a round from size 40 to 300 at each write; the directory stays valid at 40 (or at
    // 300 once the checkpoint is in), and a fresh publisher completes it.
    const scratch = scratchDir();
    try {
      const base = join(scratch, 'at-40');
      const first = await publisherAt(dataDir, vkey, base, 40);
      first.publisher.notify();
      await first.close();
      expect(checkPublishDir(base, vkey)).toBe(40);

      let writes = 0;
      const counting = join(scratch, 'count');
      cpSync(base, counting, { recursive: true });
      const counter = await publisherAt(dataDir, vkey, counting, 300, {
        writeFile: (path, data, o) => {
          writes += 1;
          return writeFileAtomicBatched(path, data, o);
        },
      });
      await counter.close();
      expect(checkPublishDir(counting, vkey)).toBe(300);
      expect(writes).toBeGreaterThan(40); // tiles, gzip copies, 40 fleet bundles, the checkpoint

      const points = [...new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 20, writes - 1, writes])];
      for (const stopAt of points) {
        const crashed = join(scratch, `crash-${stopAt}`);
        cpSync(base, crashed, { recursive: true });
        let n = 0;
        const interrupted = await publisherAt(dataDir, vkey, crashed, 300, {
          writeFile: async (path, data, o) => {
            n += 1;
            if (n >= stopAt) throw new Error(`simulated crash at write ${n}`);
            return writeFileAtomicBatched(path, data, o);
          },
        });
        await interrupted.close();
        expect(interrupted.publisher.status().lastError).toMatch(/simulated crash/);
        expect(checkPublishDir(crashed, vkey), `stopped at write ${stopAt}`).toBe(40);
        const resumed = await publisherAt(dataDir, vkey, crashed, 300);
        await resumed.close();
        expect(resumed.publisher.status().lastError).toBeUndefined();
        expect(checkPublishDir(crashed, vkey)).toBe(300);
      }

      // Two writers: one opened while the directory was at 40 finishes its round to 260 after
      // another published 300; the checkpoint stays at 300.
      const twoWriters = join(scratch, 'two-writers');
      cpSync(base, twoWriters, { recursive: true });
      const stale = await publisherAt(dataDir, vkey, twoWriters, 260);
      const fresh = await publisherAt(dataDir, vkey, twoWriters, 300);
      await fresh.close();
      await stale.close();
      expect(stale.publisher.status()).toMatchObject({ size: 300, lastError: undefined });
      expect(checkPublishDir(twoWriters, vkey)).toBe(300);

      // The checkpoint never moves back: a publisher asked for 40 over a directory at 300 waits.
      const back = await publisherAt(dataDir, vkey, counting, 40);
      await back.close();
      expect(checkPublishDir(counting, vkey)).toBe(300);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('refuses a directory that holds another log, and stops at a tile this log never wrote', async () => {
    const { dir, dataDir, vkey, token } = await freshLog();
    const server = await startLogServer({ dataDir, policyText: POLICY, logger: silentLogger, batchMaxWaitMs: 1 });
    try {
      await submitAll(server.url, token, entries(2), 1);
    } finally {
      await server.close();
    }
    // A checkpoint with this origin signed by another key: not this log's directory.
    const other = join(dir, 'other');
    mkdirSync(other);
    const key = parseSignerKey(generateKey('test.example/log', KEY_TYPE_ED25519).skey);
    const note = signCheckpoint({ origin: 'test.example/log', size: 0, rootHash: EMPTY_ROOT }, [
      ed25519NoteSigner(key),
    ]);
    writeFileSync(join(other, 'checkpoint'), note);
    const refused = await publisherAt(dataDir, vkey, other, 4).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFleetlogError(refused, 'usage'), String(refused)).toBe(true);
    expect(readFileSync(join(other, 'checkpoint'), 'utf8')).toBe(note);

    // A tile file with other bytes at a path the log is about to write: publication stops, no checkpoint.
    const forged = join(dir, 'forged');
    mkdirSync(join(forged, 'tile/0/000.p'), { recursive: true });
    writeFileSync(join(forged, 'tile/0/000.p/4'), new Uint8Array(128).fill(1));
    const p = await publisherAt(dataDir, vkey, forged, 4);
    await p.close();
    expect(p.publisher.status().lastError).toMatch(/differs from this log's tile/);
    expect(existsSync(join(forged, 'checkpoint'))).toBe(false);
  });
});
