// PostgreSQL specifics of the log: the versioned schema (created, re-opened without loss, a newer
// version refused) and the fencing token (a writer whose lease expired, or was taken over, cannot
// store anything, even a batch it signed while it still led).
import { afterEach, describe, expect, it } from 'vitest';
import { utf8 } from '../../core/bytes.ts';
import { signCheckpoint } from '../../core/checkpoint.ts';
import { EMPTY_ROOT, leafHash } from '../../core/merkle/hash.ts';
import { Frontier } from '../../core/merkle/tree.ts';
import { generateKey, KEY_TYPE_ED25519, parseSignerKey } from '../../core/note/keys.ts';
import { ed25519NoteSigner } from '../../core/note/verifiers.ts';
import { LeaderLease } from '../../log-server/cluster/lease.ts';
import { integrateLeaves } from '../../log-server/integrate.ts';
import { PgLogStorage } from '../../log-server/storage/pg-storage.ts';
import { LOG_MIGRATIONS } from '../../log-server/storage/pg-schema.ts';
import type { IntegratedBatch } from '../../log-server/storage/storage.ts';
import { PgWitnessStore } from '../../witness/pg-store.ts';
import { freshPgUrl, pgQuery } from '../support/postgres.ts';

const ORIGIN = 'lease.test/log';
const { skey, vkey } = generateKey(ORIGIN, KEY_TYPE_ED25519);
const signer = ed25519NoteSigner(parseSignerKey(skey));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function freshLog(): Promise<string> {
  const url = await freshPgUrl();
  const note = signCheckpoint({ origin: ORIGIN, size: 0, rootHash: EMPTY_ROOT }, [signer]);
  await (
    await PgLogStorage.create(url, {
      origin: ORIGIN,
      vkey,
      checkpoint: { size: 0, rootHash: EMPTY_ROOT, note, signedAtMs: 1 },
    })
  ).close();
  return url;
}

async function openLog(url: string): Promise<PgLogStorage> {
  const s = await PgLogStorage.open(url);
  open.push(s);
  return s;
}

function batch(count: number, tag: string): IntegratedBatch {
  const entries = Array.from({ length: count }, (_, i) => {
    const data = utf8(`${tag}-${i}`);
    return { index: i, data, leafHash: leafHash(data), facts: { kind: 'other' as const } };
  });
  const integration = integrateLeaves(
    Frontier.empty(),
    entries.map((e) => e.leafHash),
  );
  const size = integration.frontier.size;
  const note = signCheckpoint({ origin: ORIGIN, size, rootHash: integration.root }, [signer]);
  return { entries, nodes: integration.nodes, checkpoint: { size, rootHash: integration.root, note, signedAtMs: 1 } };
}

describe('PostgreSQL schema versions', () => {
  it('creates the schema, re-opens it without loss, refuses a second log and a newer version', async () => {
    const url = await freshLog();
    const [version] = await pgQuery<{ version: number }>(
      url,
      "SELECT version FROM fleetlog_schema WHERE component = 'log'",
    );
    expect(version!.version).toBe(LOG_MIGRATIONS.length);
    const note = signCheckpoint({ origin: ORIGIN, size: 0, rootHash: EMPTY_ROOT }, [signer]);
    await expect(
      PgLogStorage.create(url, {
        origin: ORIGIN,
        vkey,
        checkpoint: { size: 0, rootHash: EMPTY_ROOT, note, signedAtMs: 1 },
      }),
    ).rejects.toThrow(/already holds the log/);
    const first = await openLog(url);
    await first.addToken('ci', new Uint8Array(32).fill(1));
    await openLog(url); // migrating an up-to-date schema changes nothing
    expect((await first.listTokens()).map((t) => t.name)).toEqual(['ci']);

    await pgQuery(url, "UPDATE fleetlog_schema SET version = 99 WHERE component = 'log'");
    await expect(PgLogStorage.open(url)).rejects.toMatchObject({ code: 'io', message: expect.stringMatching(/newer/) });
    await pgQuery(url, `UPDATE fleetlog_schema SET version = ${LOG_MIGRATIONS.length} WHERE component = 'log'`);
    await expect(PgWitnessStore.open(url)).rejects.toThrow(/holds no witness/);
    // The witness migration added its tables beside the log's, and the log is untouched.
    expect((await (await openLog(url)).listTokens()).map((t) => t.name)).toEqual(['ci']);
  });
});

describe('the fencing token', () => {
  it('refuses the batch of a writer whose lease expired or was taken over; the new holder commits', async () => {
    const url = await freshLog();
    const a = await openLog(url);
    const b = await openLog(url);
    const leaseA = new LeaderLease(a.pool, 'a', 300);
    const tokenA = await leaseA.tryAcquire('http://a');
    expect(tokenA).toBeDefined();
    a.setFence(tokenA);
    const signedWhileLeading = batch(3, 'a');
    // B cannot take a live lease.
    expect(await new LeaderLease(b.pool, 'b', 5000).tryAcquire('http://b')).toBeUndefined();
    await sleep(400); // A "pauses" past its lease
    await expect(a.appendBatch(signedWhileLeading)).rejects.toThrow(/fencing token \d+\) is lost or expired/);
    expect(await leaseA.renew(tokenA!)).toBe(false);
    const leaseB = new LeaderLease(b.pool, 'b', 5000);
    const tokenB = await leaseB.tryAcquire('http://b');
    expect(tokenB).toBe(tokenA! + 1);
    b.setFence(tokenB);
    expect(await leaseB.current()).toMatchObject({ token: tokenB, holder: 'b', url: 'http://b' });
    // A's stale token stays refused for every write; B's batch of the same size commits.
    await expect(a.appendBatch(signedWhileLeading)).rejects.toThrow(/lost or expired/);
    await expect(a.setPublishedSize(3)).rejects.toThrow(/lost or expired/);
    await expect(a.recordWitness('w', 3, undefined)).rejects.toThrow(/lost or expired/);
    const fromB = batch(3, 'b');
    await b.appendBatch(fromB);
    const rows = await pgQuery<{ size: string; note: string }>(
      url,
      'SELECT size, note FROM log_checkpoints ORDER BY size',
    );
    expect(rows.map((r) => [Number(r.size), r.note === fromB.checkpoint.note])).toEqual([
      [0, false],
      [3, true],
    ]);
    // A clean release hands the lease over at once.
    await leaseB.release(tokenB!);
    expect(await leaseA.tryAcquire('http://a')).toBe(tokenB! + 1);
  });
});
