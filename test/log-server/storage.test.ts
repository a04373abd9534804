// The LogStorage guarantee suite (log-server/storage/storage.ts), one suite run against every
// backend: SQLite inline, SQLite with its writer thread, and PostgreSQL (a real server, holding the
// leader lease as `log serve` does). Atomic batches, dedup, order, tiles, reopen, tokens, witness
// state, and the single-writer rule.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex as hex, utf8 } from '../../core/bytes.ts';
import { signCheckpoint } from '../../core/checkpoint.ts';
import { encodeEntryBundle } from '../../core/entry-bundle.ts';
import { EMPTY_ROOT, leafHash } from '../../core/merkle/hash.ts';
import { inclusionProof } from '../../core/merkle/proof-plan.ts';
import { rootOfLeafHashes, Frontier } from '../../core/merkle/tree.ts';
import { generateKey, KEY_TYPE_ED25519, parseSignerKey } from '../../core/note/keys.ts';
import { ed25519NoteSigner } from '../../core/note/verifiers.ts';
import { LeaderLease } from '../../log-server/cluster/lease.ts';
import { acquireWriterLock } from '../../log-server/data-dir.ts';
import { integrateLeaves } from '../../log-server/integrate.ts';
import { ProofService } from '../../log-server/proofs.ts';
import { recoverFrontier } from '../../log-server/recover.ts';
import { PgLogStorage } from '../../log-server/storage/pg-storage.ts';
import { SqliteLogStorage } from '../../log-server/storage/sqlite-storage.ts';
import type { LogStorage, NewEntry, StoredCheckpoint } from '../../log-server/storage/storage.ts';
import { MemoryHashStore } from '../support/memory-hash-store.ts';
import { freshPgUrl } from '../support/postgres.ts';
import { tempDir } from '../support/process.ts';

const ORIGIN = 'storage.test/log';
const { skey, vkey } = generateKey(ORIGIN, KEY_TYPE_ED25519);
const signer = ed25519NoteSigner(parseSignerKey(skey));

const open: LogStorage[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

function emptyTree(): { origin: string; vkey: string; checkpoint: StoredCheckpoint } {
  const note = signCheckpoint({ origin: ORIGIN, size: 0, rootHash: EMPTY_ROOT }, [signer]);
  return { origin: ORIGIN, vkey, checkpoint: { size: 0, rootHash: EMPTY_ROOT, note, signedAtMs: 1 } };
}

/** One backend: a fresh log, a way to reopen it as a restarted server would, and its writer guard. */
interface Backend {
  readonly name: string;
  create(): Promise<{ storage: LogStorage; reopen(): Promise<LogStorage>; makeOlder(): Promise<void> }>;
  /** Shows that a second writer on the same log is refused, by this backend's own mechanism. */
  secondWriterRefused(): Promise<void>;
}

function track<T extends LogStorage>(s: T): T {
  open.push(s);
  return s;
}

function sqlite(writerThread: boolean): Backend {
  const openAt = (path: string) =>
    writerThread ? SqliteLogStorage.openWithWriterThread(path) : Promise.resolve(SqliteLogStorage.open(path));
  return {
    name: writerThread ? 'SQLite (writer thread)' : 'SQLite',
    async create() {
      const path = join(tempDir('fleetlog-storage-'), 'log.db');
      await SqliteLogStorage.create(path, emptyTree()).close();
      return {
        storage: track(await openAt(path)),
        reopen: async () => track(await openAt(path)),
        // The file as a fleetlog from before stored bundle compressions left it (closed first).
        async makeOlder() {
          const db = new Database(path);
          db.exec('DROP TABLE bundle_gzip');
          db.close();
        },
      };
    },
    async secondWriterRefused() {
      const dir = tempDir('fleetlog-storage-lock-');
      const release = acquireWriterLock(dir);
      try {
        expect(() => acquireWriterLock(dir)).toThrow(/already serves/);
      } finally {
        release();
      }
    },
  };
}

/** Opens the log as a serving process does: it takes the leader lease and writes with its token. */
async function pgLeader(url: string): Promise<PgLogStorage> {
  const storage = track(await PgLogStorage.open(url, { max: 4 }));
  const lease = new LeaderLease(storage.pool, `test-${open.length}`, 60_000);
  const current = await lease.current();
  if (current.holder) await storage.pool.query("UPDATE log_lease SET expires_at = '-infinity'");
  const token = await lease.tryAcquire(undefined);
  expect(token).toBeDefined();
  storage.setFence(token);
  return storage;
}

const postgres: Backend = {
  name: 'PostgreSQL',
  async create() {
    const url = await freshPgUrl();
    await (await PgLogStorage.create(url, emptyTree())).close();
    return {
      storage: await pgLeader(url),
      reopen: () => pgLeader(url),
      // The database at log schema version 1, as a fleetlog from before version 2 left it.
      async makeOlder() {
        const older = await PgLogStorage.open(url);
        try {
          await older.pool.query('DROP TABLE log_bundle_gzip');
          await older.pool.query("UPDATE fleetlog_schema SET version = 1 WHERE component = 'log'");
        } finally {
          await older.close();
        }
      },
    };
  },
  async secondWriterRefused() {
    const url = await freshPgUrl();
    await (await PgLogStorage.create(url, emptyTree())).close();
    const first = await pgLeader(url);
    const second = track(await PgLogStorage.open(url));
    // Another process cannot take a live lease, and without it nothing it writes is stored.
    expect(await new LeaderLease(second.pool, 'second', 60_000).tryAcquire(undefined)).toBeUndefined();
    await expect(append(second, Frontier.empty(), entries(0, 1))).rejects.toThrow(/leader lease/);
    await expect(second.setPublishedSize(0)).rejects.toThrow(/leader lease/);
    expect((await first.head()).entryCount).toBe(0);
    await append(first, Frontier.empty(), entries(0, 1));
    expect((await second.head()).entryCount).toBe(1);
  },
};

function entries(from: number, count: number, tag = 'e'): NewEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const data = utf8(`${tag}-${from + i}`);
    return { index: from + i, data, leafHash: leafHash(data), facts: { kind: 'other' as const } };
  });
}

function batchOn(frontier: Frontier, batch: NewEntry[]) {
  const integration = integrateLeaves(
    frontier,
    batch.map((e) => e.leafHash),
  );
  const size = integration.frontier.size;
  const note = signCheckpoint({ origin: ORIGIN, size, rootHash: integration.root }, [signer]);
  return {
    frontier: integration.frontier,
    batch: {
      entries: batch,
      nodes: integration.nodes,
      checkpoint: { size, rootHash: integration.root, note, signedAtMs: Date.now() },
    },
  };
}

async function append(storage: LogStorage, frontier: Frontier, batch: NewEntry[]): Promise<Frontier> {
  const b = batchOn(frontier, batch);
  await storage.appendBatch(b.batch);
  return b.frontier;
}

describe.each([sqlite(false), sqlite(true), postgres])('LogStorage on $name', (backend) => {
  it('stores batches atomically and serves tiles, entries and proof nodes', async () => {
    const { storage } = await backend.create();
    let frontier = Frontier.empty();
    const all: NewEntry[] = [];
    for (const n of [1, 255, 300, 44]) {
      const batch = entries(all.length, n);
      frontier = await append(storage, frontier, batch);
      all.push(...batch);
    }
    const head = await storage.head();
    expect(head.entryCount).toBe(600);
    expect(head.checkpoint.size).toBe(600);
    const leaves = all.map((e) => e.leafHash);
    expect(hex(head.checkpoint.rootHash)).toBe(hex(rootOfLeafHashes(leaves)));
    // Full level-0 tiles come from the tile blobs, partial ones from node rows; both are the leaves.
    expect(hex(await storage.readLevelHashes(0, 256, 256))).toBe(hex(Buffer.concat(leaves.slice(256, 512))));
    expect(hex(await storage.readLevelHashes(0, 512, 88))).toBe(hex(Buffer.concat(leaves.slice(512, 600))));
    expect(hex(await storage.readLevelHashes(0, 0, 17))).toBe(hex(Buffer.concat(leaves.slice(0, 17))));
    // Level 8 holds the roots of full level-0 tiles.
    expect(hex(await storage.readLevelHashes(8, 0, 2))).toBe(
      hex(Buffer.concat([rootOfLeafHashes(leaves.slice(0, 256)), rootOfLeafHashes(leaves.slice(256, 512))])),
    );
    expect((await storage.readEntries(598, 2)).map((b) => Buffer.from(b).toString())).toEqual(['e-598', 'e-599']);
    // Proof nodes read from storage equal an in-memory tree's.
    const memory = new MemoryHashStore();
    for (const l of leaves) memory.append(l);
    const proofs = new ProofService(storage);
    for (const i of [0, 255, 256, 599])
      expect((await proofs.inclusion(i, 600)).map(hex)).toEqual(inclusionProof(memory, i, 600).map(hex));
    // The frontier rebuilt from storage reproduces the stored checkpoint.
    expect(hex((await recoverFrontier(storage, head)).root())).toBe(hex(head.checkpoint.rootHash));
    expect(await storage.checkpointAt(255)).toBeUndefined();
    expect((await storage.checkpointAt(556))?.size).toBe(556);
  });

  it('stores the gzip of each full entry bundle in the batch that completes it, and only then', async () => {
    const { storage, reopen } = await backend.create();
    const all = entries(0, 300);
    let frontier = await append(storage, Frontier.empty(), all.slice(0, 200));
    expect(await storage.readBundleGzip(0)).toBeUndefined();
    // A premature lazy store is ignored rather than refusing the batch that completes the bundle.
    await storage.storeBundleGzip(0, gzipSync(utf8('not the bundle')));
    expect(await storage.readBundleGzip(0)).toBeUndefined();
    // A refused batch that would complete bundle 0 (it repeats a leaf hash) leaves no compression.
    const refused = [...all.slice(200, 260)];
    refused[58] = { ...all[3]!, index: 258 };
    await expect(storage.appendBatch(batchOn(frontier, refused).batch)).rejects.toThrow();
    expect(await storage.readBundleGzip(0)).toBeUndefined();
    const s2 = await reopen();
    frontier = await append(s2, frontier, all.slice(200, 300));
    const want = encodeEntryBundle(all.slice(0, 256).map((e) => e.data));
    const stored = await s2.readBundleGzip(0);
    expect(stored).toBeDefined();
    expect(hex(gunzipSync(stored!))).toBe(hex(want));
    expect(hex(encodeEntryBundle(await s2.readEntries(0, 256)))).toBe(hex(want));
    expect(await s2.readBundleGzip(1)).toBeUndefined(); // 44 entries: not full
    // A lazy store never replaces the one made with the entries.
    await s2.storeBundleGzip(0, gzipSync(utf8('other bytes')));
    expect(hex(gunzipSync((await s2.readBundleGzip(0))!))).toBe(hex(want));
  });

  it('opens a log stored before bundle compressions, adds their table, and stores them lazily', async () => {
    const { storage, reopen, makeOlder } = await backend.create();
    const all = entries(0, 600);
    let frontier = await append(storage, Frontier.empty(), all.slice(0, 300));
    await storage.close();
    open.splice(open.indexOf(storage), 1);
    await makeOlder();
    const migrated = await reopen();
    expect(await migrated.readBundleGzip(0)).toBeUndefined(); // completed before: none stored
    frontier = await append(migrated, frontier, all.slice(300, 600)); // completes bundle 1
    const bundle = (n: number) => hex(encodeEntryBundle(all.slice(n * 256, (n + 1) * 256).map((e) => e.data)));
    expect(hex(gunzipSync((await migrated.readBundleGzip(1))!))).toBe(bundle(1));
    await migrated.storeBundleGzip(0, gzipSync(encodeEntryBundle(await migrated.readEntries(0, 256))));
    expect(hex(gunzipSync((await migrated.readBundleGzip(0))!))).toBe(bundle(0));
    expect((await recoverFrontier(migrated, await migrated.head())).size).toBe(600);
  });

  it('moves the key-set mark when, and only when, a key set is stored', async () => {
    const { storage } = await backend.create();
    expect(await storage.keysetMark()).toBe(0);
    let frontier = await append(storage, Frontier.empty(), entries(0, 3));
    expect(await storage.keysetMark()).toBe(0);
    const keyset = (index: number, fleetId: string): NewEntry => {
      const data = utf8(`keyset-${index}`);
      const facts = { kind: 'keyset' as const, fleetId, version: 1, evidenceIndex: 0, notBefore: 1, notAfter: 2 };
      return { index, data, leafHash: leafHash(data), facts };
    };
    frontier = await append(storage, frontier, [keyset(3, 'b-fleet'), ...entries(4, 2)]);
    expect(await storage.keysetMark()).toBe(4);
    frontier = await append(storage, frontier, entries(6, 2));
    expect(await storage.keysetMark()).toBe(4);
    await append(storage, frontier, [keyset(8, 'a-fleet')]);
    expect(await storage.keysetMark()).toBe(9);
    expect((await storage.listFleets('', 10)).map((f) => f.fleetId)).toEqual(['a-fleet', 'b-fleet']);
    // What was stored since a mark, in index order and at most `limit`: a reader catches up from it.
    const since = (from: number, limit: number) =>
      storage.keysetsFrom(from, limit).then((ks) => ks.map((k) => [k.fleetId, k.index, hex(k.leafHash)]));
    expect(await since(0, 10)).toEqual([
      ['b-fleet', 3, hex(keyset(3, 'b-fleet').leafHash)],
      ['a-fleet', 8, hex(keyset(8, 'a-fleet').leafHash)],
    ]);
    expect(await since(4, 10)).toEqual([['a-fleet', 8, hex(keyset(8, 'a-fleet').leafHash)]]);
    expect(await since(0, 1)).toEqual([['b-fleet', 3, hex(keyset(3, 'b-fleet').leafHash)]]);
    expect(await since(9, 10)).toEqual([]);
  });

  it('refuses a batch that repeats a leaf hash or does not extend the tree, storing nothing', async () => {
    const { storage } = await backend.create();
    let frontier = await append(storage, Frontier.empty(), entries(0, 3));
    const dup = [...entries(3, 2), { ...entries(0, 1)[0]!, index: 5 }];
    await expect(append(storage, frontier, dup)).rejects.toThrow(/UNIQUE|unique constraint/i);
    expect((await storage.head()).entryCount).toBe(3);
    expect((await storage.findLeaves(entries(3, 1).map((e) => e.leafHash))).size).toBe(0);
    // A batch that skips indices is refused before it touches the database.
    const ahead = integrateLeaves(
      Frontier.empty(),
      entries(0, 4, 'y').map((e) => e.leafHash),
    ).frontier;
    await expect(append(storage, ahead, entries(4, 1))).rejects.toThrow(/does not extend/);
    frontier = await append(storage, frontier, entries(3, 2));
    const found = await storage.findLeaves([entries(4, 1)[0]!.leafHash]);
    expect([...found.values()][0]).toMatchObject({ index: 4, kind: 'other' });
  });

  it('commits in call order, refuses every batch built on a failed one, and is durable across a reopen', async () => {
    const { storage, reopen } = await backend.create();
    let frontier = Frontier.empty();
    for (let i = 0; i < 3; i++) frontier = await append(storage, frontier, entries(frontier.size, 100));
    // Pipelined: batch k+1 is handed over before k resolves; k repeats a leaf, so both fail.
    const bad = batchOn(frontier, [...entries(300, 2), { ...entries(0, 1)[0]!, index: 302 }]);
    const onBad = batchOn(bad.frontier, entries(303, 5));
    const results = await Promise.allSettled([storage.appendBatch(bad.batch), storage.appendBatch(onBad.batch)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    // Two good batches handed over together commit in order.
    const a = batchOn(frontier, entries(300, 7, 'a'));
    const b = batchOn(a.frontier, entries(307, 9, 'b'));
    const reading = storage.head();
    await Promise.all([storage.appendBatch(a.batch), storage.appendBatch(b.batch)]);
    // A read that overlapped the commits saw a whole committed state, never half a batch.
    const seen = await reading;
    expect(seen.entryCount).toBe(seen.checkpoint.size);
    await expect(append(storage, Frontier.empty(), entries(0, 1, 'x'))).rejects.toThrow(/does not extend/);
    await storage.recordWitness('w1', 316, '— w1 AAAA\n');
    expect(await storage.witnessStates()).toMatchObject([{ witness: 'w1', size: 316 }]);
    expect(await storage.cosignaturesFor(316)).toEqual([{ witness: 'w1', line: '— w1 AAAA\n' }]);
    await storage.setPublishedSize(316);
    await storage.close();
    open.splice(open.indexOf(storage), 1);
    const reopened = await reopen();
    const head = await reopened.head();
    expect(head.publishedSize).toBe(316);
    expect(head.entryCount).toBe(316);
    expect(hex(head.checkpoint.rootHash)).toBe(hex(b.frontier.root()));
    expect((await recoverFrontier(reopened, head)).size).toBe(316);
    expect((await reopened.findLeaves(entries(300, 1).map((e) => e.leafHash))).size).toBe(0);
  });

  it('refuses a second writer on the same log', async () => {
    await backend.secondWriterRefused();
  });

  it('keeps tokens hashed and revocable, and one active token per name', async () => {
    const { storage } = await backend.create();
    const hash = new Uint8Array(32).fill(1);
    await storage.addToken('ci', hash);
    await expect(storage.addToken('ci', new Uint8Array(32).fill(2))).rejects.toThrow(/already exists/);
    expect(await storage.findActiveToken(hash)).toBe('ci');
    expect(await storage.revokeToken('ci')).toBe(true);
    expect(await storage.revokeToken('ci')).toBe(false);
    expect(await storage.findActiveToken(hash)).toBeUndefined();
    await storage.addToken('ci', new Uint8Array(32).fill(3));
    expect((await storage.listTokens()).map((t) => [t.name, t.revokedAtMs === undefined])).toEqual([
      ['ci', false],
      ['ci', true],
    ]);
  });
});
