// The log-server's HTTP API in-process (app.request): writes, the tlog-tiles read API checked like
// an independent client would, the conveniences, operations endpoints and bad input.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, fromHex, toHex, utf8 } from '../../core/bytes.ts';
import { decideFleetTrust } from '../../core/audit/fleet-trust.ts';
import { EMPTY_STATE } from '../../core/audit/client-state.ts';
import { parseFleetBundle } from '../../core/audit/fleet-bundle.ts';
import { openCheckpoint } from '../../core/checkpoint.ts';
import { canonicalJsonBytes } from '../../core/entries/canonical-json.ts';
import { decodeEntryBundle } from '../../core/entry-bundle.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { tileHashes, tilePath, tilesForTree } from '../../core/merkle/tiles.ts';
import { rootOfLeafHashes } from '../../core/merkle/tree.ts';
import { verifyConsistency, verifyInclusion } from '../../core/merkle/verify.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { parseTlogProof } from '../../core/tlog-proof.ts';
import { silentLogger } from '../../service/logger.ts';
import { FLEETLOG_VERSION } from '../../service/version.ts';
import { openLog, type OpenLog } from '../../log-server/index.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import type { EntryPair } from '../../log-server/load/synthetic.ts';
import { checkAnswer, freshLog, KEYS, POLICY, type AddEntryAnswer } from './helpers.ts';

let log: OpenLog;
let vkey: string;
let token: string;
let pairs: EntryPair[];
const answers: AddEntryAnswer[] = [];

async function post(body: Uint8Array | string, auth: string | null = token): Promise<Response> {
  return log.app.request('/add-entry', {
    method: 'POST',
    body: body as BodyInit,
    headers: auth === null ? {} : { authorization: `Bearer ${auth}` },
  });
}

async function get(path: string): Promise<Response> {
  return log.app.request(path);
}

async function bytes(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

beforeAll(async () => {
  const fresh = await freshLog();
  vkey = fresh.vkey;
  token = fresh.token;
  log = await openLog({
    dataDir: fresh.dataDir,
    policyText: POLICY,
    logger: silentLogger,
    writerThread: false,
    validationWorkers: 0,
  });
  // 300 entries (crosses a full tile), submitted 20 at a time so batches share checkpoints.
  pairs = generatePairs(KEYS, 150);
  for (let i = 0; i < pairs.length; i += 10) {
    const chunk = pairs.slice(i, i + 10);
    const ev = await Promise.all(chunk.map((p) => post(p.evidence)));
    const ks = await Promise.all(chunk.map((p) => post(p.keyset)));
    for (const r of [...ev, ...ks]) {
      expect(r.status).toBe(200);
      answers.push((await r.json()) as AddEntryAnswer);
    }
  }
});

afterAll(async () => {
  await log.close();
});

describe('POST /add-entry', () => {
  it('answers each entry with its index, a signed checkpoint and a verifying tlog-proof', () => {
    expect(new Set(answers.map((a) => a.index)).size).toBe(300);
    const byHash = new Map(pairs.flatMap((p) => [p.evidence, p.keyset]).map((e) => [toHex(leafHash(e)), e]));
    for (const a of answers) checkAnswer(a, byHash.get(a.leafHash)!, vkey);
  });

  it('returns the original index for a duplicate', async () => {
    const res = await post(pairs[3]!.keyset);
    expect(res.status).toBe(200);
    const a = (await res.json()) as AddEntryAnswer;
    expect(a.duplicate).toBe(true);
    expect(a.index).toBe(answers.find((x) => x.leafHash === toHex(leafHash(pairs[3]!.keyset)))!.index);
    checkAnswer(a, pairs[3]!.keyset, vkey);
  });

  it('refuses bad requests with a clear 4xx and {code, message}, storing nothing', async () => {
    const [fresh] = generatePairs(KEYS, 1);
    const evidence = JSON.parse(new TextDecoder().decode(fresh!.evidence)) as Record<string, unknown>;
    const other = generatePairs(KEYS, 1)[0]!;
    const forged = JSON.parse(new TextDecoder().decode(other.keyset)) as { publisherSignature: { signature: string } };
    forged.publisherSignature.signature = '00'.repeat(64);
    const cases: Array<[string, Promise<Response>, number, string]> = [
      ['no token', post(fresh!.evidence, null), 401, 'unauthorized'],
      ['unknown token', post(fresh!.evidence, `fleetlog_${'A'.repeat(43)}`), 401, 'unauthorized'],
      ['malformed token', post(fresh!.evidence, 'not a token'), 401, 'unauthorized'],
      ['oversized declared body', post(new Uint8Array(70_000), token), 413, 'too_large'],
      ['empty body', post(new Uint8Array(0)), 400, 'bad_entry'],
      ['not JSON', post('hello'), 400, 'bad_entry'],
      ['not UTF-8', post(new Uint8Array([0xff, 0xfe])), 400, 'bad_encoding'],
      ['non-canonical (whitespace)', post(JSON.stringify(evidence, null, 1)), 400, 'bad_entry'],
      ['non-canonical (key order)', post(JSON.stringify({ type: evidence.type, ...evidence })), 400, 'bad_entry'],
      ['unknown type', post(canonicalJsonBytes({ type: 'fleetlog/other/v1' })), 400, 'unknown_entry_type'],
      ['schema violation', post(canonicalJsonBytes({ ...evidence, hsms: [] })), 400, 'bad_entry'],
      ['forged publisher signature', post(canonicalJsonBytes(forged)), 403, 'bad_signature'],
      ['key set before its evidence', post(other.keyset), 422, 'entry_rejected'],
    ];
    const before = (await (await get('/health')).json()) as { size: number };
    for (const [what, response, status, code] of cases) {
      const res = await response;
      expect(res.status, what).toBe(status);
      expect(res.headers.get('content-type'), what).toMatch(/^application\/json/);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code, what).toBe(code);
      expect(body.message.length, what).toBeGreaterThan(10);
    }
    const unauthorized = await post(fresh!.evidence, null);
    expect(unauthorized.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const after = (await (await get('/health')).json()) as { size: number };
    expect(after.size).toBe(before.size);
  });

  it('caps a streamed body without Content-Length before reading it all', async () => {
    const chunk = new Uint8Array(16 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.length;
        if (sent > 1024 * 1024) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await log.app.request('/add-entry', {
      method: 'POST',
      body: stream,
      headers: { authorization: `Bearer ${token}` },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(1024 * 1024);
  });
});

describe('tlog-tiles read API', () => {
  it('serves a checkpoint signed by the log, as text/plain; charset=utf-8, not cached', async () => {
    const res = await get('/checkpoint');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const cp = openCheckpoint(await res.text(), [ed25519NoteVerifier(vkey)]).checkpoint;
    expect(cp.size).toBe(300);
  });

  it('serves every tile and entry bundle of the tree, and they reproduce the checkpoint', async () => {
    const cp = openCheckpoint(await (await get('/checkpoint')).text(), [ed25519NoteVerifier(vkey)]).checkpoint;
    const leaves: Uint8Array[] = [];
    for (const tile of tilesForTree(cp.size)) {
      const res = await get(`/${tilePath(tile)}`);
      expect(res.status, tilePath(tile)).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const hashes = tileHashes(await bytes(res), tile.width);
      if (tile.level === 0) {
        leaves.push(...hashes);
        const bundle = await get(`/${tilePath(tile, 'entries')}`);
        expect(bundle.status).toBe(200);
        expect(bundle.headers.get('content-type')).toBe('application/octet-stream');
        const entries = decodeEntryBundle(await bytes(bundle), tile.width);
        entries.forEach((e, i) => {
          expect(toHex(leafHash(e))).toBe(toHex(hashes[i]!));
        });
      }
    }
    expect(leaves.length).toBe(300);
    expect(toHex(rootOfLeafHashes(leaves))).toBe(toHex(cp.rootHash));
    // A level-1 tile hash is the root of the full level-0 tile below it.
    const level1 = tileHashes(await bytes(await get('/tile/1/000.p/1')), 1);
    expect(toHex(level1[0]!)).toBe(toHex(rootOfLeafHashes(leaves.slice(0, 256))));
    // A partial tile is a prefix of the full tile.
    expect(toHex(await bytes(await get('/tile/0/000.p/7')))).toBe(toHex(Buffer.concat(leaves.slice(0, 7))));
  });

  it('gzips entry bundles when the client accepts gzip, and only then', async () => {
    const plain = await get('/tile/entries/000');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('vary')).toBe('accept-encoding');
    const identity = await bytes(plain);
    for (const accept of ['gzip', 'br, gzip;q=0.5', '*']) {
      const res = await log.app.request('/tile/entries/000', { headers: { 'accept-encoding': accept } });
      expect(res.headers.get('content-encoding'), accept).toBe('gzip');
      const compressed = await bytes(res);
      expect(compressed.length).toBeLessThan(identity.length);
      expect(new Uint8Array(gunzipSync(compressed))).toEqual(identity);
    }
    const refused = await log.app.request('/tile/entries/000', {
      headers: { 'accept-encoding': 'gzip;q=0, identity' },
    });
    expect(refused.headers.get('content-encoding')).toBeNull();
  });

  it('answers 404 beyond the tree and 400 for malformed paths', async () => {
    const notFound = [
      '/tile/0/001',
      '/tile/0/001.p/45',
      '/tile/1/000',
      '/tile/1/000.p/2',
      '/tile/2/000.p/1',
      '/tile/entries/002.p/1',
      '/tile/0/x001/000',
      '/entry/300',
      '/entry/9007199254740991',
    ];
    for (const p of notFound) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('not_found');
    }
    const malformed = [
      '/tile/00/000',
      '/tile/0/0',
      '/tile/0/0000',
      '/tile/0/x000/001',
      '/tile/0/001.p/0',
      '/tile/0/001.p/256',
      '/tile/0/001.p/07',
      '/tile/64/000',
      '/tile/-1/000',
      '/tile/0/1e3',
      '/tile/0/x00/001',
      '/tile/entries/abc',
      '/tile/0/000/',
      '/entry/-1',
      '/entry/01',
      '/entry/99999999999999999999',
      '/entry/1.5',
    ];
    for (const p of malformed) {
      const res = await get(p);
      expect(res.status, p).toBe(400);
    }
  });
});

describe('conveniences', () => {
  it('serves inclusion proofs by index and by leaf hash, and consistency proofs, that verify', async () => {
    const cp = openCheckpoint(await (await get('/checkpoint')).text(), [ed25519NoteVerifier(vkey)]).checkpoint;
    const early = answers.find((a) => a.index === 10)!;
    const earlyCp = openCheckpoint(early.checkpoint, [ed25519NoteVerifier(vkey)]).checkpoint;
    for (const query of [`index=10&size=${cp.size}`, `leaf=${early.leafHash}&size=${cp.size}`, 'index=10']) {
      const res = await get(`/proof/inclusion?${query}`);
      expect(res.status, query).toBe(200);
      const p = (await res.json()) as { index: number; size: number; leafHash: string; proof: string[] };
      expect(p).toMatchObject({ index: 10, size: 300, leafHash: early.leafHash });
      expect(
        verifyInclusion(
          10,
          300,
          fromHex(p.leafHash, 32),
          p.proof.map((h) => fromBase64(h, 32)),
          cp.rootHash,
        ),
      ).toBe(true);
    }
    const res = await get(`/proof/consistency?old=${earlyCp.size}&new=${cp.size}`);
    const c = (await res.json()) as { old: number; new: number; proof: string[] };
    expect(
      verifyConsistency(
        earlyCp.size,
        cp.size,
        earlyCp.rootHash,
        cp.rootHash,
        c.proof.map((h) => fromBase64(h, 32)),
      ),
    ).toBe(true);
    expect((await (await get('/proof/consistency?old=0')).json()) as unknown).toEqual({ old: 0, new: 300, proof: [] });

    const bad: Array<[string, number]> = [
      ['/proof/inclusion?index=300', 404],
      ['/proof/inclusion?index=5&size=301', 404],
      ['/proof/inclusion?index=5&size=5', 400],
      ['/proof/inclusion?index=-1', 400],
      ['/proof/inclusion?index=1&index=2', 400],
      ['/proof/inclusion', 400],
      [`/proof/inclusion?index=1&leaf=${early.leafHash}`, 400],
      [`/proof/inclusion?leaf=${early.leafHash.toUpperCase()}`, 400],
      [`/proof/inclusion?leaf=${'00'.repeat(32)}`, 404],
      ['/proof/consistency?old=5&new=4', 400],
      ['/proof/consistency?old=5&new=301', 404],
      ['/proof/consistency?old=99999999999999999999', 400],
      ['/proof/consistency', 400],
    ];
    for (const [path, status] of bad) expect((await get(path)).status, path).toBe(status);
  });

  it('serves an offline tlog-proof for an entry against the published checkpoint', async () => {
    const res = await get('/proof/42');
    expect(res.status).toBe(200);
    const proof = parseTlogProof(await res.text());
    const cp = openCheckpoint(proof.checkpoint, [ed25519NoteVerifier(vkey)]).checkpoint;
    expect(verifyInclusion(42, cp.size, leafHash(proof.extra!), proof.proof, cp.rootHash)).toBe(true);
    expect((await get('/proof/300')).status).toBe(404);
  });

  it('lists fleets with their key-set history and pages through them', async () => {
    const first = (await (await get('/fleets?limit=100')).json()) as {
      fleets: Array<{ fleetId: string; keysets: Array<{ index: number; evidenceIndex: number; version: number }> }>;
      next: string | null;
    };
    expect(first.fleets.length).toBe(100);
    expect(first.next).toBe(first.fleets[99]!.fleetId);
    const second = (await (await get(`/fleets?after=${first.next}&limit=100`)).json()) as typeof first;
    expect(second.fleets.length).toBe(50);
    expect(second.next).toBeNull();
    const all = [...first.fleets, ...second.fleets];
    expect(new Set(all.map((f) => f.fleetId))).toEqual(new Set(pairs.map((p) => p.fleetId)));
    for (const f of all) expect(f.keysets[0]!.evidenceIndex).toBeLessThan(f.keysets[0]!.index);
    expect((await get('/fleets?limit=0')).status).toBe(400);
    expect((await get('/fleets?after=BAD!')).status).toBe(400);
  });

  it('serves a fleet bundle that passes the client trust decision (audit steps 1-8)', async () => {
    const fleetId = pairs[7]!.fleetId;
    const res = await get(`/fleet-bundle/${fleetId}`);
    expect(res.status).toBe(200);
    const bundle = parseFleetBundle(await res.text());
    const policy = parsePolicy(`log ${vkey}\n${POLICY}`);
    const decision = decideFleetTrust({
      policy,
      bundle,
      now: Math.floor(Date.now() / 1000) + 60,
      state: EMPTY_STATE,
      fleetId,
    });
    expect(decision.steps.filter((s) => !s.ok)).toEqual([]);
    expect(decision.trusted).toBe(true);
    expect((await get('/fleet-bundle/no-such-fleet')).status).toBe(404);
    expect((await get('/fleet-bundle/Bad..Id')).status).toBe(400);
  });
});

describe('operations', () => {
  it('reports health, metrics, and JSON 404s', async () => {
    const health = (await (await get('/health')).json()) as Record<string, unknown>;
    expect(health).toMatchObject({
      status: 'ok',
      size: 300,
      publishedSize: 300,
      quorum: 'none',
      failOpen: true,
      witnesses: [],
    });
    expect(typeof health.lastCheckpointAgeSeconds).toBe('number');
    const metrics = await get('/metrics');
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const text = await metrics.text();
    expect(text).toMatch(/fleetlog_log_appends_total\{result="accepted"\} 300/);
    expect(text).toMatch(/fleetlog_log_batch_entries_count [1-9]/);
    expect(text).toMatch(/fleetlog_log_add_entry_seconds_count [1-9]/);
    const missing = await get('/nope');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('not_found');
    // A path the log serves, with the wrong method: 405 and Allow (RFC 9110), not 404.
    const wrong = await log.app.request('/checkpoint', { method: 'POST', body: utf8('x') as BodyInit });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    for (const path of ['/tile/0/000', '/entry/0', '/fleets', '/proof/consistency', '/health']) {
      const r = await log.app.request(path, { method: 'DELETE' });
      expect(r.status, path).toBe(405);
    }
    const add = await log.app.request('/add-entry');
    expect(add.status).toBe(405);
    expect(add.headers.get('allow')).toBe('POST');
    expect((await log.app.request('/nope', { method: 'POST' })).status).toBe(404);
    expect((await get('/checkpoint')).status).toBe(200);
    expect((await log.app.request('/checkpoint', { method: 'HEAD' })).status).toBe(200);
    // Version everywhere an operator looks: /health and /metrics.
    expect(health.version).toBe(FLEETLOG_VERSION);
    expect(health.writes).toBe('ok');
    expect(text).toContain(`fleetlog_build_info{component="log",version="${FLEETLOG_VERSION}"} 1`);
    expect(text).toMatch(/fleetlog_log_last_checkpoint_age_seconds \d/);
    expect(text).toContain('fleetlog_log_writes_failing 0');
  });
});
