// SqliteLogStorage: atomic batches, dedup, tiles, the writer thread, tokens and witness state.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex as hex, utf8 } from '../../core/bytes.ts';
import { signCheckpoint } from '../../core/checkpoint.ts';
import { EMPTY_ROOT, leafHash } from '../../core/merkle/hash.ts';
import { inclusionProof } from '../../core/merkle/proof-plan.ts';
import { rootOfLeafHashes, Frontier } from '../../core/merkle/tree.ts';
import { generateKey, KEY_TYPE_ED25519, parseSignerKey } from '../../core/note/keys.ts';
import { ed25519NoteSigner } from '../../core/note/verifiers.ts';
import { integrateLeaves } from '../../log-server/integrate.ts';
import { recoverFrontier } from '../../log-server/recover.ts';
import { SqliteLogStorage } from '../../log-server/storage/sqlite-storage.ts';
import type { NewEntry } from '../../log-server/storage/storage.ts';
import { MemoryHashStore } from '../support/memory-hash-store.ts';
import { tempDir } from '../support/process.ts';

const ORIGIN = 'storage.test/log';
const { skey, vkey } = generateKey(ORIGIN, KEY_TYPE_ED25519);
const signer = ed25519NoteSigner(parseSignerKey(skey));

const open: SqliteLogStorage[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

function create(): { storage: SqliteLogStorage; path: string } {
  const path = join(tempDir('fleetlog-storage-'), 'log.db');
  const note = signCheckpoint({ origin: ORIGIN, size: 0, rootHash: EMPTY_ROOT }, [signer]);
  const storage = SqliteLogStorage.create(path, {
    origin: ORIGIN,
    vkey,
    checkpoint: { size: 0, rootHash: EMPTY_ROOT, note, signedAtMs: 1 },
  });
  open.push(storage);
  return { storage, path };
}

function entries(from: number, count: number, tag = 'e'): NewEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const data = utf8(`${tag}-${from + i}`);
    return { index: from + i, data, leafHash: leafHash(data), facts: { kind: 'other' as const } };
  });
}

async function append(storage: SqliteLogStorage, frontier: Frontier, batch: NewEntry[]): Promise<Frontier> {
  const integration = integrateLeaves(
    frontier,
    batch.map((e) => e.leafHash),
  );
  const size = integration.frontier.size;
  const note = signCheckpoint({ origin: ORIGIN, size, rootHash: integration.root }, [signer]);
  await storage.appendBatch({
    entries: batch,
    nodes: integration.nodes,
    checkpoint: { size, rootHash: integration.root, note, signedAtMs: Date.now() },
  });
  return integration.frontier;
}

describe('SqliteLogStorage', () => {
  it('stores batches atomically and serves tiles, entries and proof nodes', async () => {
    const { storage } = create();
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
    const reader = { readNodes: (nodes: Parameters<typeof memory.readNodes>[0]) => storage.readNodesSync(nodes) };
    for (const i of [0, 255, 256, 599])
      expect(inclusionProof(reader, i, 600).map(hex)).toEqual(inclusionProof(memory, i, 600).map(hex));
    // The frontier rebuilt from storage reproduces the stored checkpoint.
    expect(hex((await recoverFrontier(storage, head)).root())).toBe(hex(head.checkpoint.rootHash));
    expect(await storage.checkpointAt(255)).toBeUndefined();
    expect((await storage.checkpointAt(556))?.size).toBe(556);
  });

  it('refuses a batch that repeats a leaf hash or does not extend the tree, storing nothing', async () => {
    const { storage } = create();
    let frontier = await append(storage, Frontier.empty(), entries(0, 3));
    const dup = [...entries(3, 2), { ...entries(0, 1)[0]!, index: 5 }];
    await expect(append(storage, frontier, dup)).rejects.toThrow(/UNIQUE/);
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

  it('commits through the writer thread, durably visible to the reading connection', async () => {
    const { storage: creator, path } = create();
    await creator.close();
    open.pop();
    const storage = await SqliteLogStorage.openWithWriterThread(path);
    open.push(storage);
    let frontier = Frontier.empty();
    for (let i = 0; i < 3; i++) frontier = await append(storage, frontier, entries(frontier.size, 100));
    await expect(append(storage, Frontier.empty(), entries(0, 1, 'x'))).rejects.toThrow(/does not extend/);
    expect((await storage.head()).checkpoint.size).toBe(300);
    await storage.recordWitness('w1', 300, '— w1 AAAA\n');
    expect(await storage.witnessStates()).toMatchObject([{ witness: 'w1', size: 300 }]);
    expect(await storage.cosignaturesFor(300)).toEqual([{ witness: 'w1', line: '— w1 AAAA\n' }]);
    await storage.setPublishedSize(300);
    await storage.close();
    open.pop();
    const reopened = SqliteLogStorage.open(path);
    open.push(reopened);
    const head = await reopened.head();
    expect(head.publishedSize).toBe(300);
    expect((await recoverFrontier(reopened, head)).size).toBe(300);
  });

  it('keeps tokens hashed and revocable, and one active token per name', async () => {
    const { storage } = create();
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
