// Split-view evidence: the witness keeps and serves it when a log signs a conflicting checkpoint,
// and core/split-view-evidence.ts verifies it offline, claiming a proof only where one exists.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { isFleetlogError } from '../../core/errors.ts';
import { consistencyProofRoots } from '../../core/merkle/consistency-roots.ts';
import { KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519, generateKey } from '../../core/note/keys.ts';
import {
  formatSplitViewEvidence,
  parseSplitViewEvidenceList,
  verifySplitViewEvidence,
  type SplitViewEvidence,
} from '../../core/split-view-evidence.ts';
import { MAX_EVIDENCE_PER_LOG, originHash } from '../../witness/store.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/process.ts';
import { WitnessFixture } from './fixture.ts';
import { TestLog } from './test-log.ts';

let fx: WitnessFixture;
let log: TestLog;

beforeEach(async () => {
  fx = await WitnessFixture.create();
  log = new TestLog();
  fx.trust(log);
});
afterEach(async () => {
  await fx.close();
});

async function cosignAt(size: number, from = 0): Promise<void> {
  const reply = await fx.post(log.body(from, size));
  expect(reply.status, reply.text).toBe(200);
}

async function evidenceFor(origin: string): Promise<SplitViewEvidence[]> {
  const reply = await fx.get(`/evidence/${originHash(origin)}`);
  expect(reply.status).toBe(200);
  expect(reply.contentType).toBe('application/json');
  return parseSplitViewEvidenceList(reply.text);
}

function expectThrowsCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(isFleetlogError(e) ? e.code : String(e)).toBe(code);
    return;
  }
  throw new Error(`expected a ${code} error`);
}

describe('the witness records split views', () => {
  it('same size, different root: 409, never cosigned, evidence proves the fork', async () => {
    log.grow(17);
    await cosignAt(17);
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
    await cosignAt(9);
    const fork = log.fork(3).grow(6, 'b');
    const reply = await fx.post(fork.body(0, 9));
    expect(reply).toMatchObject({ status: 409, text: '9\n' });
    const [doc] = await evidenceFor(log.origin);
    expect(verifySplitViewEvidence(doc!, log.vkey).proven).toBe(true);
  });

  it("a fork whose own honest proof rebuilds its root proves the fork (non-power-of-two size)", async () => {
    log.grow(17);
    await cosignAt(17);
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
    await cosignAt(16);
    const fork = log.fork(12).grow(4, 'b').grow(5, 'b');
    expect((await fx.post(fork.body(16, 21))).status).toBe(422);
    const [doc] = await evidenceFor(log.origin);
    expect(verifySplitViewEvidence(doc!, log.vkey)).toMatchObject({ proven: false, reason: 'proof-does-not-verify' });
  });

  it('a garbage proof from an honest log is unproven, and the right proof shows the pair consistent', async () => {
    log.grow(10);
    await cosignAt(10);
    log.grow(5);
    expect((await fx.post(log.body(10, 15, { proof: log.proof(10).map(() => randomBytes(32)) }))).status).toBe(422);
    const [doc] = await evidenceFor(log.origin);
    expect(verifySplitViewEvidence(doc!, log.vkey).proven).toBe(false);
    const corrected = { ...doc!, proof: log.proof(10).map((h) => Buffer.from(h).toString('base64')) };
    expectThrowsCode(() => verifySplitViewEvidence(corrected, log.vkey), 'bad_evidence');
    // And the log can still go on with a good proof.
    await cosignAt(15, 10);
  });

  it('dedupes a repeated conflict and caps evidence per log', async () => {
    log.grow(4);
    await cosignAt(4);
    const fork = log.fork(2).grow(2, 'b');
    await fx.post(fork.body(4, 4, { proof: [] }));
    await fx.post(fork.body(4, 4, { proof: [] }));
    expect(await evidenceFor(log.origin)).toHaveLength(1);
    for (let i = 0; i < MAX_EVIDENCE_PER_LOG + 5; i++) {
      const other = log.fork(2).grow(2, `c${i}`);
      expect((await fx.post(other.body(4, 4, { proof: [] }))).status).toBe(409);
    }
    expect(await evidenceFor(log.origin)).toHaveLength(MAX_EVIDENCE_PER_LOG);
    expect(fx.dump().checkpoints).toHaveLength(1);
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
    await cosignAt(6);
    await fx.post(log.fork(3).grow(3, 'b').body(6, 6, { proof: [] }));
    [doc] = (await evidenceFor(log.origin)) as [SplitViewEvidence];
  });

  it('accepts the document as text and as bytes', () => {
    const text = formatSplitViewEvidence(doc);
    expect(verifySplitViewEvidence(text, log.vkey).proven).toBe(true);
    expect(verifySplitViewEvidence(new TextEncoder().encode(text), log.vkey).proven).toBe(true);
  });

  it('needs signatures by the given log key', () => {
    expectThrowsCode(() => verifySplitViewEvidence(doc, generateKey(log.origin, KEY_TYPE_ED25519).vkey), 'no_trusted_signature');
    expectThrowsCode(() => verifySplitViewEvidence(doc, fx.vkey), 'bad_key'); // a cosigner key is not a log key
  });

  it('rejects a presented note whose text was altered after signing', () => {
    const lines = doc.presented.split('\n');
    lines[2] = Buffer.from(randomBytes(32)).toString('base64');
    expectThrowsCode(() => verifySplitViewEvidence({ ...doc, presented: lines.join('\n') }, log.vkey), 'bad_signature');
  });

  it('rejects two identical heads, mismatched origins, unknown fields and proofs on same-size evidence', () => {
    expectThrowsCode(() => verifySplitViewEvidence({ ...doc, presented: doc.cosigned }, log.vkey), 'bad_evidence');
    expectThrowsCode(() => verifySplitViewEvidence({ ...doc, origin: 'elsewhere.example' }, log.vkey), 'bad_evidence');
    expectThrowsCode(() => verifySplitViewEvidence(JSON.stringify({ ...doc, extra: 1 }), log.vkey), 'bad_evidence');
    expectThrowsCode(() => verifySplitViewEvidence({ ...doc, proof: [Buffer.from(randomBytes(32)).toString('base64')] }, log.vkey), 'bad_evidence');
    expectThrowsCode(() => verifySplitViewEvidence('{not json', log.vkey), 'bad_evidence');
  });

  it('checks the witness cosignature only when asked, and then strictly', () => {
    const otherWitness = generateKey('witness.example/w1', KEY_TYPE_COSIGNATURE).vkey;
    expect(verifySplitViewEvidence(doc, log.vkey).proven).toBe(true);
    expectThrowsCode(() => verifySplitViewEvidence(doc, log.vkey, { witnessVkey: otherWitness }), 'no_trusted_signature');
  });
});

describe('the example in specs/witness-evidence.md', () => {
  it('verifies as proven under the log vkey and witness vkey the spec names', () => {
    const spec = readFileSync(join(REPO_ROOT, 'specs/witness-evidence.md'), 'utf8');
    const json = /```json\n([\s\S]*?)```/.exec(spec)![1]!;
    const logVkey = /^Log vkey `([^`]+)`/m.exec(spec)![1]!;
    const witnessVkey = /witness vkey\n?\s*`([^`]+)`/.exec(spec)![1]!;
    const verdict = verifySplitViewEvidence(json, logVkey, { witnessVkey });
    expect(verdict).toMatchObject({ proven: true, reason: 'same-size-different-roots', origin: 'example.com/fleetlog' });
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
