// Split-view evidence: the witness keeps and serves it when a log signs a conflicting checkpoint
// (on SQLite and on PostgreSQL), and core/split-view-evidence.ts verifies it offline, claiming a
// proof only where one exists.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { consistencyProofRoots } from '../../core/merkle/consistency-roots.ts';
import { KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519, generateKey } from '../../core/note/keys.ts';
import { toBase64 } from '../../core/bytes.ts';
import { signNote } from '../../core/note/note.ts';
import { ed25519NoteSigner } from '../../core/note/verifiers.ts';
import { formatAddCheckpoint } from '../../core/witness-request.ts';
import {
  MAX_SPLIT_VIEW_EVIDENCE_BYTES,
  formatSplitViewEvidence,
  parseSplitViewEvidence,
  parseSplitViewEvidenceList,
  verifySplitViewEvidence,
  type SplitViewEvidence,
} from '../../core/split-view-evidence.ts';
import { MAX_PROVEN_EVIDENCE_PER_LOG, MAX_UNPROVEN_EVIDENCE_PER_LOG, originHash } from '../../witness/store.ts';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeOf } from '../support/error-code.ts';
import { REPO_ROOT } from '../support/process.ts';
import { WitnessFixture, type WitnessBackend } from './fixture.ts';
import { TestLog } from './test-log.ts';

let fx: WitnessFixture;
let log: TestLog;
/** The store the next fixtures use: keeping evidence is checked on both. */
let backend: WitnessBackend = 'SQLite';

beforeEach(async () => {
  ({ fx, log } = await WitnessFixture.withLog({}, backend));
});
afterEach(async () => {
  await fx.close();
});

async function evidenceFor(origin: string): Promise<SplitViewEvidence[]> {
  const reply = await fx.get(`/evidence/${originHash(origin)}`);
  expect(reply.status).toBe(200);
  expect(reply.contentType).toBe('application/json');
  return parseSplitViewEvidenceList(reply.text);
}

describe.each(['SQLite', 'PostgreSQL'] as const)('the witness records split views (%s)', (store) => {
  beforeAll(() => {
    backend = store;
  });
  afterAll(() => {
    backend = 'SQLite';
  });

  it('same size, different root: 409, never cosigned, evidence proves the fork', async () => {
    log.grow(17);
    await fx.cosign(log, 0, 17);
    const fork = log.fork(12).grow(5, 'b');
    const reply = await fx.post(fork.body(17, 17, { proof: [] }));
    expect(reply.status).toBe(409);
    expect(reply.contentType).toBe('application/json');
    const [doc, ...rest] = await evidenceFor(log.origin);
    expect(rest).toEqual([]);
    const verdict = verifySplitViewEvidence(doc!, log.vkey, { witnessVkey: fx.vkey });
    expect(verdict).toMatchObject({ proven: true, reason: 'same-size-different-roots', origin: log.origin });
    expect(verdict.smaller.size).toBe(17);
    // The witness never cosigned the fork: it still serves the original head.
    expect((await fx.cosigned(log.origin)).text).toContain(log.checkpoint(17).split('\n')[2]!);
    // The whole-witness list has it too.
    expect(parseSplitViewEvidenceList((await fx.get('/evidence')).text)).toHaveLength(1);
  });

  it('a same-size conflict is evidence even when old is stale (409 with the size)', async () => {
    log.grow(9);
    await fx.cosign(log, 0, 9);
    const fork = log.fork(3).grow(6, 'b');
    const reply = await fx.post(fork.body(0, 9));
    expect(reply).toMatchObject({ status: 409, text: '9\n' });
    const [doc] = await evidenceFor(log.origin);
    expect(verifySplitViewEvidence(doc!, log.vkey).proven).toBe(true);
  });

  it('a fork whose own honest proof rebuilds its root proves the fork (non-power-of-two size)', async () => {
    log.grow(17);
    await fx.cosign(log, 0, 17);
    const fork = log.fork(12).grow(5, 'b').grow(3, 'b');
    const reply = await fx.post(fork.body(17, 20));
    expect(reply.status).toBe(422);
    const [doc] = await evidenceFor(log.origin);
    const verdict = verifySplitViewEvidence(doc!, log.vkey, { witnessVkey: fx.vkey });
    expect(verdict).toMatchObject({ proven: true, reason: 'proof-reveals-different-prefix' });
    expect([verdict.smaller.size, verdict.larger.size]).toEqual([17, 20]);
  });

  it('a failed proof from a power-of-two size is kept but honestly reported as unproven', async () => {
    log.grow(16);
    await fx.cosign(log, 0, 16);
    const fork = log.fork(12).grow(4, 'b').grow(5, 'b');
    expect((await fx.post(fork.body(16, 21))).status).toBe(422);
    const [doc] = await evidenceFor(log.origin);
    expect(verifySplitViewEvidence(doc!, log.vkey)).toMatchObject({ proven: false, reason: 'proof-does-not-verify' });
  });

  it('a garbage proof from an honest log is unproven, and the right proof shows the pair consistent', async () => {
    log.grow(10);
    await fx.cosign(log, 0, 10);
    log.grow(5);
    expect((await fx.post(log.body(10, 15, { proof: log.proof(10).map(() => randomBytes(32)) }))).status).toBe(422);
    const [doc] = await evidenceFor(log.origin);
    expect(verifySplitViewEvidence(doc!, log.vkey).proven).toBe(false);
    const corrected = { ...doc!, proof: log.proof(10).map((h) => Buffer.from(h).toString('base64')) };
    expect(codeOf(() => verifySplitViewEvidence(corrected, log.vkey))).toBe('bad_evidence');
    // And the log can still go on with a good proof.
    await fx.cosign(log, 10, 15);
  });

  it('dedupes a repeated conflict, even after the witness re-cosigned its head', async () => {
    log.grow(4);
    await fx.cosign(log, 0, 4);
    const fork = log.fork(2).grow(2, 'b');
    await fx.post(fork.body(4, 4, { proof: [] }));
    await fx.cosign(log, 4, 4); // a new cosignature on the same head: the conflict is still the same one
    await fx.post(fork.body(4, 4, { proof: [] }));
    expect(await evidenceFor(log.origin)).toHaveLength(1);
  });

  it('replayed unproven documents fill only their own cap: a real fork signed afterwards is still kept', async () => {
    log.grow(10);
    await fx.cosign(log, 0, 10);
    log.grow(5); // a genuine larger checkpoint, as anyone can obtain it, replayed with random proofs
    for (let i = 0; i < 105; i++) {
      // more than the old shared cap of 100
      const proof = log.proof(10).map(() => randomBytes(32));
      expect((await fx.post(log.body(10, 15, { proof }))).status).toBe(422);
    }
    expect(await evidenceFor(log.origin)).toHaveLength(MAX_UNPROVEN_EVIDENCE_PER_LOG);
    // Proven split views, same size and a proof revealing another prefix, are kept all the same.
    expect((await fx.post(log.fork(6).grow(4, 'b').body(10, 10, { proof: [] }))).status).toBe(409);
    expect((await fx.post(log.fork(3).grow(9, 'c').body(10, 12))).status).toBe(422);
    const docs = await evidenceFor(log.origin);
    expect(docs).toHaveLength(MAX_UNPROVEN_EVIDENCE_PER_LOG + 2);
    const verdicts = docs.map((d) => verifySplitViewEvidence(d, log.vkey));
    expect(verdicts.filter((v) => v.proven).map((v) => v.reason)).toEqual([
      'same-size-different-roots',
      'proof-reveals-different-prefix',
    ]);
    expect((await fx.dump()).checkpoints).toHaveLength(1);
    // The witness still cosigns the honest log.
    await fx.cosign(log, 10, 15);
  });

  it('a log that signs fork after fork fills only its own proven cap; the first fork stays, the rest are counted', async () => {
    log.grow(8);
    await fx.cosign(log, 0, 8);
    const forks = Array.from({ length: MAX_PROVEN_EVIDENCE_PER_LOG + 5 }, (_, i) => log.fork(5).grow(3, `f${i}`));
    for (const fork of forks) expect((await fx.post(fork.body(8, 8, { proof: [] }))).status).toBe(409);
    const docs = await evidenceFor(log.origin);
    expect(docs).toHaveLength(MAX_PROVEN_EVIDENCE_PER_LOG);
    expect(docs.every((d) => verifySplitViewEvidence(d, log.vkey).proven)).toBe(true);
    expect(docs[0]!.presented).toBe(forks[0]!.checkpoint(8));
    const health = JSON.parse((await fx.get('/health')).text);
    expect(health).toMatchObject({ status: 'split-view', evidence: { proven: MAX_PROVEN_EVIDENCE_PER_LOG } });
    expect((await fx.get('/metrics')).text).toContain(
      'fleetlog_witness_split_views_total{proven="true",stored="false"} 5',
    );
    // Unproven documents still have their own room, and the honest log is still cosigned.
    log.grow(3);
    expect((await fx.post(log.body(8, 11, { proof: log.proof(8).map(() => randomBytes(32)) }))).status).toBe(422);
    expect(await evidenceFor(log.origin)).toHaveLength(MAX_PROVEN_EVIDENCE_PER_LOG + 1);
    await fx.cosign(log, 8, 11);
  });

  it('serves, parses and verifies evidence that JSON escaping made larger than its two notes', async () => {
    // A log may sign extension lines of quotes: each one doubles when the witness stores the note as JSON.
    const extensions = Array.from({ length: 15 }, () => '"'.repeat(3000)).join('\n');
    const signed = (from: TestLog): string =>
      signNote(`${log.origin}\n4\n${toBase64(from.root(4))}\n${extensions}\n`, [ed25519NoteSigner(log.key)]);
    log.grow(4);
    expect((await fx.post(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: signed(log) }))).status).toBe(200);
    expect(
      (await fx.post(formatAddCheckpoint({ oldSize: 4, proof: [], checkpoint: signed(log.fork(2).grow(2, 'b')) })))
        .status,
    ).toBe(409);
    const [doc, ...rest] = await evidenceFor(log.origin);
    expect(rest).toEqual([]);
    const text = formatSplitViewEvidence(doc!);
    // Larger than 2 x 48 KiB notes, yet within the per-document cap, so it parses on its own too.
    expect(text.length).toBeGreaterThan(128 * 1024);
    expect(text.length).toBeLessThanOrEqual(MAX_SPLIT_VIEW_EVIDENCE_BYTES);
    expect(parseSplitViewEvidence(text)).toEqual(doc);
    expect(verifySplitViewEvidence(doc!, log.vkey)).toMatchObject({
      proven: true,
      reason: 'same-size-different-roots',
    });
  });

  it('serves an empty list for a known log, 404 for an unknown origin hash, 400 for a malformed one', async () => {
    expect(await evidenceFor(log.origin)).toEqual([]);
    expect((await fx.get(`/evidence/${'ab'.repeat(32)}`)).status).toBe(404);
    expect((await fx.get('/evidence/ABCD')).status).toBe(400);
  });
});

describe('verifySplitViewEvidence rejects what is not evidence', () => {
  let doc: SplitViewEvidence;
  beforeEach(async () => {
    log.grow(6);
    await fx.cosign(log, 0, 6);
    await fx.post(log.fork(3).grow(3, 'b').body(6, 6, { proof: [] }));
    [doc] = (await evidenceFor(log.origin)) as [SplitViewEvidence];
  });

  it('accepts the document as text and as bytes', () => {
    const text = formatSplitViewEvidence(doc);
    expect(verifySplitViewEvidence(text, log.vkey).proven).toBe(true);
    expect(verifySplitViewEvidence(new TextEncoder().encode(text), log.vkey).proven).toBe(true);
  });

  it('needs signatures by the given log key', () => {
    expect(codeOf(() => verifySplitViewEvidence(doc, generateKey(log.origin, KEY_TYPE_ED25519).vkey))).toBe(
      'no_trusted_signature',
    );
    expect(codeOf(() => verifySplitViewEvidence(doc, fx.vkey))).toBe('bad_key'); // a cosigner key is not a log key
  });

  it('rejects a presented note whose text was altered after signing', () => {
    const lines = doc.presented.split('\n');
    lines[2] = Buffer.from(randomBytes(32)).toString('base64');
    expect(codeOf(() => verifySplitViewEvidence({ ...doc, presented: lines.join('\n') }, log.vkey))).toBe(
      'bad_signature',
    );
  });

  it('rejects two identical heads, mismatched origins, unknown fields and proofs on same-size evidence', () => {
    expect(codeOf(() => verifySplitViewEvidence({ ...doc, presented: doc.cosigned }, log.vkey))).toBe('bad_evidence');
    expect(codeOf(() => verifySplitViewEvidence({ ...doc, origin: 'elsewhere.example' }, log.vkey))).toBe(
      'bad_evidence',
    );
    expect(codeOf(() => verifySplitViewEvidence(JSON.stringify({ ...doc, extra: 1 }), log.vkey))).toBe('bad_evidence');
    expect(
      codeOf(() =>
        verifySplitViewEvidence({ ...doc, proof: [Buffer.from(randomBytes(32)).toString('base64')] }, log.vkey),
      ),
    ).toBe('bad_evidence');
    expect(codeOf(() => verifySplitViewEvidence('{not json', log.vkey))).toBe('bad_evidence');
  });

  it('checks the witness cosignature only when asked, and then strictly', () => {
    const otherWitness = generateKey('witness.example/w1', KEY_TYPE_COSIGNATURE).vkey;
    expect(verifySplitViewEvidence(doc, log.vkey).proven).toBe(true);
    expect(codeOf(() => verifySplitViewEvidence(doc, log.vkey, { witnessVkey: otherWitness }))).toBe(
      'no_trusted_signature',
    );
  });
});

describe('the example in specs/witness-evidence.md', () => {
  it('verifies as proven under the log vkey and witness vkey the spec names', () => {
    const spec = readFileSync(join(REPO_ROOT, 'specs/witness-evidence.md'), 'utf8');
    const json = /```json\n([\s\S]*?)```/.exec(spec)![1]!;
    const logVkey = /^Log vkey `([^`]+)`/m.exec(spec)![1]!;
    const witnessVkey = /witness vkey\n?\s*`([^`]+)`/.exec(spec)![1]!;
    const verdict = verifySplitViewEvidence(json, logVkey, { witnessVkey });
    expect(verdict).toMatchObject({
      proven: true,
      reason: 'same-size-different-roots',
      origin: 'example.com/fleetlog',
    });
  });
});

describe('consistencyProofRoots', () => {
  it('rebuilds both true roots from every consistency proof of random trees', () => {
    const tree = new TestLog().grow(260);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 259 }), fc.integer({ min: 1, max: 259 }), (a, b) => {
        const [m, n] = a < b ? [a, b] : [b, a + 1];
        const roots = consistencyProofRoots(m, n, tree.root(m), tree.proof(m, n));
        expect(roots).toBeDefined();
        expect(roots!.oldRoot).toEqual(tree.root(m));
        expect(roots!.newRoot).toEqual(tree.root(n));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects malformed shapes', () => {
    const tree = new TestLog().grow(20);
    expect(consistencyProofRoots(5, 20, tree.root(5), [])).toBeUndefined();
    expect(consistencyProofRoots(5, 20, tree.root(5), [...tree.proof(5, 20), randomBytes(32)])).toBeUndefined();
    expect(consistencyProofRoots(5, 20, tree.root(5), tree.proof(5, 20).slice(1))).toBeUndefined();
    expect(consistencyProofRoots(20, 20, tree.root(20), [randomBytes(32)])).toBeUndefined();
    expect(consistencyProofRoots(0, 20, tree.root(0), [randomBytes(32)])).toBeUndefined();
  });
});

describe('a schema-1 witness database', () => {
  it('is upgraded on open: same-size documents count as proven, others as unproven', async () => {
    log.grow(10);
    await fx.cosign(log, 0, 10);
    await fx.post(log.fork(6).grow(4, 'b').body(10, 10, { proof: [] }));
    log.grow(5);
    await fx.post(log.body(10, 15, { proof: log.proof(10).map(() => randomBytes(32)) }));
    await fx.close();
    // Back to schema 1: the evidence table without its `proven` column.
    const db = new Database(join(fx.dataDir, 'witness.db'));
    db.exec(`CREATE TABLE old (id INTEGER PRIMARY KEY, origin TEXT NOT NULL, origin_hash TEXT NOT NULL,
               digest TEXT NOT NULL UNIQUE, document TEXT NOT NULL, observed_at INTEGER NOT NULL) STRICT;
             INSERT INTO old SELECT id, origin, origin_hash, digest, document, observed_at FROM evidence;
             DROP TABLE evidence; ALTER TABLE old RENAME TO evidence;
             UPDATE meta SET value = '1' WHERE key = 'schema_version';`);
    db.close();
    await fx.reopen();
    const counts = (await (await fx.witness.app.request('/health')).json()) as { evidence: unknown };
    expect(counts.evidence).toEqual({ proven: 1, unproven: 1 });
    expect(await evidenceFor(log.origin)).toHaveLength(2);
  });
});
