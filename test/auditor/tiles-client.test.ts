// The tile client and the proofs the auditor computes from tiles: equal to the core's proofs on
// random trees, strict about every byte the server sends, and bounded in what it reads.
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, toHex } from '../../core/bytes.ts';
import { isFleetlogError } from '../../core/errors.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { consistencyProof, inclusionProof } from '../../core/merkle/proof-plan.ts';
import { rootsFromConsistencyPath, consistencyProofRoots } from '../../core/merkle/consistency-roots.ts';
import { verifyConsistency, verifyInclusion } from '../../core/merkle/verify.ts';
import { proveExtends } from '../../auditor-cli/consistency-check.ts';
import { fetchBounded } from '../../auditor-cli/http/bounded-fetch.ts';
import {
  consistencyProofFromTiles,
  inclusionProofFromTiles,
  proofHashes,
  rootFromTiles,
  TileNodeReader,
} from '../../auditor-cli/tile-proofs.ts';
import { TilesClient } from '../../auditor-cli/tiles-client.ts';
import { MemoryHashStore } from '../support/memory-hash-store.ts';
import { replace, rewrite, serve, type Served } from './support/log-http.ts';
import { enc, flipBit, genericScenario, serveScenario } from './support/scenario.ts';
import { SyntheticLog } from './support/synthetic-log.ts';

describe('proofs computed from tiles', () => {
  const s = genericScenario(1500);
  const reference = new MemoryHashStore();
  for (let i = 0; i < s.log.size; i++) reference.append(leafHash(enc(`entry number ${i}`)));
  let served: Served;
  beforeAll(async () => {
    served = await serveScenario(() => s.log);
  });
  afterAll(() => served.close());

  it('equal the core proofs from stored hashes, and verify, for random sizes and indices', async () => {
    const client = new TilesClient(served.url);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1500 }),
        fc.integer({ min: 0, max: 1500 }),
        fc.integer({ min: 0, max: 1500 }),
        async (size, a, b) => {
          const reader = new TileNodeReader(client, size);
          const index = a % size;
          const root = s.log.root(size);
          expect(toHex(await rootFromTiles(reader))).toBe(toHex(root));
          const inc = proofHashes(await inclusionProofFromTiles(reader, index));
          expect(inc.map(toHex)).toEqual(inclusionProof(reference, index, size).map(toHex));
          expect(verifyInclusion(index, size, s.log.leafHash(index), inc, root)).toBe(true);
          const old = b % (size + 1);
          const { proof, oldSubtree } = await consistencyProofFromTiles(reader, old);
          const hashes = proofHashes(proof);
          expect(hashes.map(toHex)).toEqual(consistencyProof(reference, old, size).map(toHex));
          expect(verifyConsistency(old, size, s.log.root(old), root, hashes)).toBe(true);
          if (old > 0 && old < size) {
            const roots = rootsFromConsistencyPath(old, size, oldSubtree ? [oldSubtree, ...hashes] : hashes)!;
            expect(bytesEqual(roots.oldRoot, s.log.root(old)) && bytesEqual(roots.newRoot, root)).toBe(true);
            expect(bytesEqual(consistencyProofRoots(old, size, s.log.root(old), hashes)!.newRoot, root)).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('tell a fork (the tiles reach the new root, not the old) from bad tiles (they do not reach the new root)', async () => {
    const client = new TilesClient(served.url);
    const other = new SyntheticLog(s.keys);
    for (let i = 0; i < 700; i++) other.append(enc(i === 10 ? 'different' : `entry number ${i}`));
    const fork = await proveExtends(client, { size: 700, root: other.root() }, { size: 1500, root: s.log.root() });
    expect(fork).toMatchObject({ ok: false, why: 'fork' });
    const pow2 = await proveExtends(client, { size: 512, root: other.root(512) }, { size: 1500, root: s.log.root() });
    expect(pow2).toMatchObject({ ok: false, why: 'fork' });
    served.tamper = rewrite('tile/0/002', (b) => flipBit(b, 40 * 32));
    try {
      const bad = await proveExtends(
        new TilesClient(served.url),
        { size: 700, root: s.log.root(700) },
        { size: 1500, root: s.log.root() },
      );
      expect(bad).toMatchObject({ ok: false, why: 'bad-tiles' });
    } finally {
      served.tamper = undefined;
    }
    expect(
      await proveExtends(client, { size: 700, root: s.log.root(700) }, { size: 1500, root: s.log.root() }),
    ).toMatchObject({ ok: true });
  });
});

describe('the tile client', () => {
  const s = genericScenario(600);
  let served: Served;
  beforeAll(async () => {
    served = await serveScenario(() => s.log);
  });
  afterAll(() => served.close());

  it('refuses to ask for a tile the verified tree does not cover, without making a request', async () => {
    const client = new TilesClient(served.url);
    served.requests.length = 0;
    const e = await client.tile({ level: 0, index: 2, width: 100 }, 600).catch((x: unknown) => x);
    expect(isFleetlogError(e, 'internal')).toBe(true);
    expect(served.requests).toEqual([]);
    await expect(client.tile({ level: 0, index: 2, width: 88 }, 600)).resolves.toHaveLength(88 * 32);
  });

  it('checks exact lengths and entry counts, and falls back to the full tile when a partial one is gone', async () => {
    const client = new TilesClient(served.url);
    served.tamper = rewrite('tile/0/001', (b) => b.subarray(0, 8160));
    await expect(client.tile({ level: 0, index: 1, width: 256 }, 600)).rejects.toMatchObject({ code: 'bad_tile' });
    served.tamper = rewrite('tile/entries/001', (b) => b.subarray(0, b.length - 3));
    await expect(client.entryBundle({ level: 0, index: 1, width: 256 }, 600)).rejects.toMatchObject({
      code: 'bad_tile',
    });
    // A log that deleted partial tile 0/001.p/200 once tile 0/001 became full.
    served.tamper = replace('tile/0/001.p/200', { status: 404, body: 'gone' });
    served.requests.length = 0;
    const prefix = await client.tile({ level: 0, index: 1, width: 200 }, 456);
    expect(prefix).toEqual(s.log.tile({ level: 0, index: 1, width: 200 }));
    expect(served.requests).toEqual(['tile/0/001.p/200', 'tile/0/001']);
    served.tamper = undefined;
  });
});

describe('bounded fetch', () => {
  let server: Served;
  let flaky = 0;
  beforeAll(async () => {
    const big = new Uint8Array(100_000);
    server = await serve((path) => {
      if (path === 'flaky') return flaky++ < 2 ? { status: 503, body: 'busy' } : { status: 200, body: 'ok' };
      if (path === 'big') return { status: 200, body: big };
      if (path === 'missing') return { status: 404, body: 'no' };
      return undefined;
    });
  });
  afterAll(() => server.close());

  it('retries a 5xx, never a 404, and enforces the cap before reading a declared body', async () => {
    const ok = await fetchBounded(`${server.url}flaky`, { maxBytes: 10, timeoutMs: 2000, retries: 2 });
    expect(new TextDecoder().decode(ok.body)).toBe('ok');
    server.requests.length = 0;
    await expect(
      fetchBounded(`${server.url}missing`, { maxBytes: 10, timeoutMs: 2000, retries: 2 }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(server.requests).toEqual(['missing']);
    await expect(
      fetchBounded(`${server.url}big`, { maxBytes: 99_999, timeoutMs: 2000, retries: 0 }),
    ).rejects.toMatchObject({ code: 'too_large' });
  });

  it('refuses a redirect to a malformed Location with a network error, and follows relative ones per hop', async () => {
    const srv = createServer((req, res) => {
      if (req.url === '/bad') res.writeHead(302, { location: 'http://[not-a-host/x' }).end();
      else if (req.url === '/a/start') res.writeHead(302, { location: 'next' }).end();
      else if (req.url === '/a/next') res.writeHead(302, { location: '../b/end' }).end();
      else if (req.url === '/b/end') res.writeHead(200).end('arrived');
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
    try {
      await expect(fetchBounded(`${base}/bad`, { maxBytes: 100, timeoutMs: 2000, retries: 0 })).rejects.toMatchObject({
        code: 'network',
        message: expect.stringMatching(/invalid URL/),
      });
      const body = await fetchBounded(`${base}/a/start`, { maxBytes: 100, timeoutMs: 2000, retries: 0 });
      expect(new TextDecoder().decode(body.body)).toBe('arrived');
    } finally {
      srv.closeAllConnections();
      srv.close();
    }
  });

  it('decompresses gzip bodies and caps what they expand to', async () => {
    const plain = new Uint8Array(50_000).fill(65);
    const srv = createServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/octet-stream' });
      res.end(gzipSync(plain));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/x`;
    try {
      expect((await fetchBounded(url, { maxBytes: 50_000, timeoutMs: 2000, retries: 0 })).body).toEqual(plain);
      await expect(fetchBounded(url, { maxBytes: 10_000, timeoutMs: 2000, retries: 0 })).rejects.toMatchObject({
        code: 'too_large',
      });
    } finally {
      srv.closeAllConnections();
      srv.close();
    }
  });
});
