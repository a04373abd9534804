// C2SP tlog-witness add-checkpoint against a log implemented in the test (test-log.ts): growth,
// old-0 probes, rollbacks, forks, wrong keys and malformed bodies, each with the spec's status,
// and never a change of state on refusal. Cosignatures are checked as an outside client would.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { formatCheckpointText, parseCheckpointNote } from '../../core/checkpoint.ts';
import { toBase64 } from '../../core/bytes.ts';
import { EMPTY_ROOT } from '../../core/merkle/hash.ts';
import { KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519, generateKey, parseSignerKey } from '../../core/note/keys.ts';
import { formatSignatureLine, parseNote, signNote, verifyNote } from '../../core/note/note.ts';
import { ed25519NoteSigner, ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { MAX_ADD_CHECKPOINT_BYTES, formatAddCheckpoint } from '../../core/witness-request.ts';
import { FLEETLOG_VERSION } from '../../service/version.ts';
import { TLOG_SIZE_CONTENT_TYPE } from '../../witness/http-status.ts';
import { WitnessFixture, flipSignatureBit, verifyCosignature } from './fixture.ts';
import { TestLog } from './test-log.ts';

let fx: WitnessFixture;
let log: TestLog;

beforeEach(async () => {
  ({ fx, log } = await WitnessFixture.withLog());
});
afterEach(async () => {
  await fx.close();
});

describe('growth and probes', () => {
  it('cosigns a growing log, answers only with cosignature lines, and serves the latest cosigned checkpoint', async () => {
    log.grow(1);
    await fx.cosignAndVerify(log, 0);
    let last = 1;
    // Sizes crossing powers of two and odd boundaries, so proofs take every shape.
    for (const step of [1, 2, 5, 8, 13, 31, 64, 100, 255]) {
      log.grow(step);
      const reply = await fx.cosign(log, last);
      expect(reply.contentType).toMatch(/^text\/plain/);
      expect(reply.text).toMatch(/^(— \S+ [A-Za-z0-9+/=]+\n)+$/);
      verifyCosignature(log.checkpoint(), reply.text, fx.vkey);
      last = log.size;
    }
    const monitored = await fx.cosigned(log.origin);
    expect(monitored.status).toBe(200);
    const note = parseNote(monitored.text);
    expect(parseCheckpointNote(monitored.text).checkpoint.size).toBe(last);
    // The served note carries the log's signature and the witness's cosignature, and nothing else.
    verifyNote(note, [ed25519NoteVerifier(log.vkey)]);
    verifyCosignature(monitored.text, '', fx.vkey);
    expect(note.signatures).toHaveLength(2);
  });

  it('answers an old-0 probe with 409, text/x.tlog.size and the size it holds, then accepts the right old size', async () => {
    log.grow(10);
    await fx.cosignAndVerify(log, 0);
    log.grow(5);
    const probe = await fx.post(log.body(0));
    expect(probe).toEqual({ status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, text: '10\n' });
    await fx.cosignAndVerify(log, 10);
  });

  it('re-cosigns the same checkpoint when old equals its size, and accepts an empty tree first', async () => {
    const empty = formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(0) });
    expect((await fx.post(empty)).status).toBe(200);
    expect((await fx.post(empty)).status).toBe(200);
    log.grow(3);
    await fx.cosignAndVerify(log, 0);
    await fx.cosignAndVerify(log, 3, 3);
  });

  it('ignores signatures from unknown keys and accepts several signatures on the checkpoint', async () => {
    log.grow(4);
    const stranger = parseSignerKey(generateKey('someone.example/other', KEY_TYPE_ED25519).skey);
    const text = formatCheckpointText({ origin: log.origin, size: 4, rootHash: log.root() });
    const note = signNote(text, [ed25519NoteSigner(stranger), ed25519NoteSigner(log.key)]);
    // A signature line for a key type fleetlog does not know (random key ID): ignored, not an error.
    const unknownType = formatSignatureLine('example.com/pq-key', 0x1234abcd, randomBytes(2420));
    const reply = await fx.post(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: note + unknownType }));
    expect(reply.status, reply.text).toBe(200);
    // What the witness serves keeps the log's signature only.
    const served = parseNote((await fx.cosigned(log.origin)).text);
    expect(served.signatures.map((s) => s.name)).toEqual([log.origin, 'witness.example/w1']);
  });

  it('accepts a log key whose name differs from the origin (C2SP: SHOULD match, not MUST)', async () => {
    const key = parseSignerKey(generateKey('sum.example.org', KEY_TYPE_ED25519).skey);
    const other = new TestLog('go.sum database tree', key);
    await fx.trust(other);
    other.grow(7);
    await fx.cosign(other, 0);
  });
});

describe('refusals carry the spec status and never change state', () => {
  beforeEach(async () => {
    log.grow(10);
    await fx.cosignAndVerify(log, 0);
    log.grow(6); // the log is at 16; the witness holds 10
  });

  const cp = (): string => log.checkpoint();
  const proofLines = (): string =>
    log
      .proof(10)
      .map((h) => `${toBase64(h)}\n`)
      .join('');
  const hash = (): string => toBase64(randomBytes(32));

  const cases: Array<[string, () => string | Uint8Array, number, string]> = [
    ['an empty body', () => '', 400, 'bad_witness_request'],
    ['no empty line before the checkpoint', () => `old 10\n${proofLines()}${cp()}`, 400, 'bad_witness_request'],
    ['no old line', () => `${proofLines()}\n${cp()}`, 400, 'bad_witness_request'],
    ['old with a leading zero', () => `old 010\n${proofLines()}\n${cp()}`, 400, 'bad_witness_request'],
    ['a negative old size', () => `old -1\n\n${cp()}`, 400, 'bad_witness_request'],
    ['old with a plus sign', () => `old +10\n${proofLines()}\n${cp()}`, 400, 'bad_witness_request'],
    ['two spaces after old', () => `old  10\n${proofLines()}\n${cp()}`, 400, 'bad_witness_request'],
    ['an old size above 2^64', () => `old 18446744073709551616\n\n${cp()}`, 400, 'bad_witness_request'],
    ['an old size of 30 digits', () => `old ${'9'.repeat(30)}\n\n${cp()}`, 400, 'bad_witness_request'],
    [
      'a checkpoint size of 30 digits',
      () => `old 10\n\n${log.origin}\n${'9'.repeat(30)}\n${hash()}\n\n— x AAAAAAAA\n`,
      400,
      'bad_witness_request',
    ],
    ['64 proof lines', () => `old 10\n${`${hash()}\n`.repeat(64)}\n${cp()}`, 400, 'bad_witness_request'],
    ['a proof line that is not base64', () => `old 10\nnot*base64\n\n${cp()}`, 400, 'bad_witness_request'],
    ['a 31-byte proof hash', () => `old 10\n${toBase64(randomBytes(31))}\n\n${cp()}`, 400, 'bad_witness_request'],
    [
      'unpadded base64 in the proof',
      () => `old 10\n${hash().replace(/=$/, '')}\n\n${cp()}`,
      400,
      'bad_witness_request',
    ],
    [
      'CRLF line endings',
      () => `old 10\r\n${proofLines().replace(/\n/g, '\r\n')}\r\n${cp().replace(/\n/g, '\r\n')}`,
      400,
      'bad_witness_request',
    ],
    [
      'bytes that are not UTF-8',
      () => new Uint8Array([...new TextEncoder().encode('old 10\n\n'), 0xff, 0xfe, 0x0a]),
      400,
      'bad_witness_request',
    ],
    ['a body over the size cap', () => `old 10\n\n${cp()}${'x'.repeat(MAX_ADD_CHECKPOINT_BYTES)}`, 400, 'too_large'],
    [
      'a checkpoint with no signature',
      () => `old 10\n${proofLines()}\n${formatCheckpointText({ origin: log.origin, size: 16, rootHash: log.root() })}`,
      400,
      'bad_witness_request',
    ],
    [
      'a 31-byte root hash',
      () =>
        `old 10\n${proofLines()}\n${signNote(`${log.origin}\n16\n${toBase64(randomBytes(31))}\n`, [ed25519NoteSigner(log.key)])}`,
      400,
      'bad_witness_request',
    ],
    ['old larger than the checkpoint size', () => log.body(16, 10, { proof: [] }), 400, 'bad_witness_request'],
    ['an unknown origin', () => new TestLog().grow(3).body(0), 404, 'not_found'],
    [
      'a checkpoint signed only by another key with the log name',
      () => log.body(10, 16, { key: parseSignerKey(generateKey(log.origin, KEY_TYPE_ED25519).skey) }),
      403,
      'no_trusted_signature',
    ],
    [
      'a log signature that fails to verify',
      () => `old 10\n${proofLines()}\n${flipSignatureBit(cp())}`,
      403,
      'bad_signature',
    ],
    [
      'a checkpoint signed by a cosigner key with the log name',
      () => {
        const cosigner = parseSignerKey(generateKey(log.origin, KEY_TYPE_COSIGNATURE).skey);
        const text = formatCheckpointText({ origin: log.origin, size: 16, rootHash: log.root() });
        return `old 10\n${proofLines()}\n${text}\n${formatSignatureLine(log.origin, cosigner.keyId, cosigner.signer.sign(new TextEncoder().encode(text)))}`;
      },
      403,
      'no_trusted_signature',
    ],
    ['an old size that is not the witness size', () => log.body(12), 409, ''],
    ['an old-0 probe', () => log.body(0), 409, ''],
    ['a rollback to a smaller tree', () => log.body(5, 5), 409, ''],
    ['a non-empty proof with old = size', () => log.body(10, 10, { proof: [randomBytes(32)] }), 422, 'bad_proof'],
    [
      'a proof that does not verify',
      () => log.body(10, 16, { proof: log.proof(10).map((h, i) => (i === 0 ? randomBytes(32) : h)) }),
      422,
      'bad_proof',
    ],
    ['a proof that is too short', () => log.body(10, 16, { proof: log.proof(10).slice(1) }), 422, 'bad_proof'],
    [
      'a proof that is too long',
      () => log.body(10, 16, { proof: [...log.proof(10), randomBytes(32)] }),
      422,
      'bad_proof',
    ],
  ];

  it.each(cases)('%s', async (_name, body, status, code) => {
    const before = await fx.dump();
    const reply = await fx.post(body());
    expect(reply.status, reply.text).toBe(status);
    if (code === '') expect(reply).toEqual({ status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, text: '10\n' });
    else expect(JSON.parse(reply.text).code).toBe(code);
    const after = await fx.dump();
    expect(after.checkpoints).toEqual(before.checkpoints);
    // Only a failed proof from the cosigned size is evidence (a log-signed conflict); nothing else is.
    expect(after.evidence).toBe(status === 422 && _name.startsWith('a proof') ? 1 : 0);
    // The witness still works afterwards.
    await fx.cosignAndVerify(log, 10);
  });

  it('answers 405 to anything but POST on /add-checkpoint', async () => {
    const reply = await fx.get('/add-checkpoint');
    expect(reply.status).toBe(405);
  });
});

describe('special sizes', () => {
  it('rejects a size-0 checkpoint whose root is not the empty-tree hash with 422', async () => {
    const bogus = signNote(formatCheckpointText({ origin: log.origin, size: 0, rootHash: randomBytes(32) }), [
      ed25519NoteSigner(log.key),
    ]);
    const reply = await fx.post(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: bogus }));
    expect(reply.status).toBe(422);
    expect((await fx.dump()).checkpoints).toEqual([]);
  });

  it('rejects a non-empty proof with old 0 with 422', async () => {
    log.grow(5);
    const reply = await fx.post(log.body(0, 5, { proof: [randomBytes(32)] }));
    expect(reply.status).toBe(422);
    expect((await fx.dump()).checkpoints).toEqual([]);
  });

  it('treats a log it never cosigned as size 0: any other old size gets 409 "0"', async () => {
    log.grow(8);
    const reply = await fx.post(log.body(4));
    expect(reply).toEqual({ status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, text: '0\n' });
  });

  it('a size-0 checkpoint with the empty root is cosigned and the log then grows from 0', async () => {
    const empty = parseCheckpointNote(log.checkpoint(0)).checkpoint;
    expect(empty.rootHash).toEqual(EMPTY_ROOT);
    await fx.cosignAndVerify(log, 0, 0);
    log.grow(9);
    await fx.cosignAndVerify(log, 0);
  });
});

describe('monitoring, health and metrics', () => {
  it('404s a log it has not cosigned, serves /health and /metrics', async () => {
    expect((await fx.cosigned(log.origin)).status).toBe(404);
    expect((await fx.get('/not-a-hash/checkpoint')).status).toBe(404);
    const health = await fx.get('/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({
      status: 'ok',
      version: FLEETLOG_VERSION,
      witness: fx.vkey,
      writes: 'ok',
      database: 'ok',
      evidence: { proven: 0, unproven: 0 },
      // SQLite: no connection pools.
      pools: null,
      checkingWorkers: null,
      clockBehindSeconds: 0,
    });
    log.grow(2);
    await fx.cosignAndVerify(log, 0);
    await fx.post(log.body(0)); // a 409
    const metrics = await fx.get('/metrics');
    expect(metrics.text).toContain('fleetlog_witness_add_checkpoint_total{status="200"} 1');
    expect(metrics.text).toContain('fleetlog_witness_add_checkpoint_total{status="409"} 1');
    expect(metrics.text).toContain('fleetlog_witness_logs 1');
    expect(metrics.text).toContain(`fleetlog_build_info{component="witness",version="${FLEETLOG_VERSION}"} 1`);
    expect(metrics.text).toMatch(
      new RegExp(`fleetlog_witness_last_cosignature_age_seconds\\{origin="${log.origin}"\\} \\d`),
    );
    expect(metrics.text).toContain('fleetlog_witness_evidence{proven="true"} 0');
    // A proven split view shows in /health (still 200: the witness works, the log does not) and /metrics.
    await fx.post(log.fork(1).grow(1, 'b').body(2, 2, { proof: [] }));
    expect(JSON.parse((await fx.get('/health')).text)).toMatchObject({
      status: 'split-view',
      evidence: { proven: 1, unproven: 0 },
    });
    expect((await fx.get('/metrics')).text).toContain('fleetlog_witness_evidence{proven="true"} 1');
  });

  it("counts a log signature line repeated 200 times once, and refuses two different lines by the log's key", async () => {
    log.grow(3);
    const note = log.checkpoint();
    const line = note.slice(note.lastIndexOf('\n\n') + 2);
    const flooded = await fx.post(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: note + line.repeat(200) }));
    expect(flooded.status).toBe(200);
    const other = flipSignatureBit(note).slice(note.lastIndexOf('\n\n') + 2);
    const two = await fx.post(formatAddCheckpoint({ oldSize: 3, proof: [], checkpoint: note + other }));
    expect(two.status).toBe(403);
    expect(two.text).toContain('two different signatures');
    // What the witness stores and serves carries the log's line once.
    expect(parseNote((await fx.cosigned(log.origin)).text).signatures).toHaveLength(2);
  });
});
