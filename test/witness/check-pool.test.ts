// Requests judged on worker threads must be accepted and refused exactly as inline: same
// status, same error code, same stored note, for valid, corrupted, foreign and extra signatures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { formatCheckpointText } from '../../core/checkpoint.ts';
import { KEY_TYPE_ED25519, generateKey, parseSignerKey } from '../../core/note/keys.ts';
import { formatSignatureLine, signNote } from '../../core/note/note.ts';
import { ed25519NoteSigner } from '../../core/note/verifiers.ts';
import { formatAddCheckpoint } from '../../core/witness-request.ts';
import { WitnessFixture, flipSignatureBit } from './fixture.ts';
import { TestLog } from './test-log.ts';

let inline: WitnessFixture;
let pooled: WitnessFixture;
const log = new TestLog();

beforeAll(async () => {
  [inline, pooled] = await Promise.all([WitnessFixture.create(), WitnessFixture.create({ threads: 2 })]);
  await inline.trust(log);
  await pooled.trust(log);
});
afterAll(async () => {
  await Promise.all([inline.close(), pooled.close()]);
});

describe('worker-thread checking', () => {
  it('answers every kind of signed note exactly as inline verification', async () => {
    const stranger = parseSignerKey(generateKey(log.origin, KEY_TYPE_ED25519).skey);
    const bodies: Array<() => string> = [];
    log.grow(5);
    const at5 = log.checkpoint();
    const text5 = formatCheckpointText({ origin: log.origin, size: 5, rootHash: log.root() });
    bodies.push(
      () => formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: flipSignatureBit(at5, 0) }), // 403 bad_signature
      () => formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: signNote(text5, [ed25519NoteSigner(stranger)]) }), // 403 none trusted
      () =>
        formatAddCheckpoint({
          oldSize: 0,
          proof: [],
          checkpoint: signNote(text5, [ed25519NoteSigner(stranger), ed25519NoteSigner(log.key)]),
        }), // 200
      () => log.body(5, 5), // 200 (a re-cosignature)
    );
    log.grow(7);
    const twice = signNote(formatCheckpointText({ origin: log.origin, size: 12, rootHash: log.root() }), [
      ed25519NoteSigner(log.key),
      ed25519NoteSigner(log.key),
    ]);
    bodies.push(
      () => formatAddCheckpoint({ oldSize: 5, proof: log.proof(5), checkpoint: flipSignatureBit(twice, 1) }), // one good, one bad: 403
      () =>
        formatAddCheckpoint({
          oldSize: 5,
          proof: log.proof(5),
          checkpoint: twice + formatSignatureLine('other.example/k', 7, randomBytes(64)),
        }), // 200
    );
    const statuses: number[] = [];
    for (const body of bodies) {
      const b = body();
      const [a, p] = await Promise.all([inline.post(b), pooled.post(b)]);
      expect(p.status).toBe(a.status);
      if (a.status !== 200) expect(JSON.parse(p.text).code).toBe(JSON.parse(a.text).code);
      statuses.push(a.status);
    }
    expect(statuses).toEqual([403, 403, 200, 200, 403, 200]);
    expect((await pooled.cosigned(log.origin)).text.split('\n— ')[0]).toBe(
      (await inline.cosigned(log.origin)).text.split('\n— ')[0],
    );
    expect((await pooled.dump()).checkpoints.map((r) => (r as { note: string }).note.split('\n').slice(0, 5))).toEqual(
      (await inline.dump()).checkpoints.map((r) => (r as { note: string }).note.split('\n').slice(0, 5)),
    );
  });

  it('makes every other decision exactly as inline too: 400, 404, 409, 422 and split-view evidence', async () => {
    const other = new TestLog(); // never trusted
    log.grow(9);
    const fork = log.fork(8).grow(log.size - 8, 'b'); // diverges below the held size
    const held = 12; // the size both witnesses hold after the previous test
    const bodies = [
      'old 1\n\nnot a checkpoint\n',
      other.grow(2).body(0),
      log.body(0), // a probe
      log.body(held, log.size, { proof: [randomBytes(32)] }), // a bad proof: evidence (unproven)
      fork.body(held), // the fork's own proof from 12: evidence
      log.body(held), // fine
      fork.body(log.size, log.size, { proof: [] }), // same size, different root: evidence
    ];
    const statuses: number[] = [];
    for (const b of bodies) {
      const [a, p] = await Promise.all([inline.post(b), pooled.post(b)]);
      expect(p.status).toBe(a.status);
      // Refusals must match exactly (code, or the 409 size body); 200s carry each witness's own key.
      if (a.status !== 200)
        expect(p.text.startsWith('{') ? JSON.parse(p.text).code : p.text).toBe(
          a.text.startsWith('{') ? JSON.parse(a.text).code : a.text,
        );
      statuses.push(a.status);
    }
    expect(statuses).toEqual([400, 404, 409, 422, 422, 200, 409]);
    const evidence = async (fx: WitnessFixture) =>
      JSON.parse((await fx.get('/evidence')).text).evidence.map((d: { presented: string }) => d.presented);
    expect(await evidence(pooled)).toEqual(await evidence(inline));
    expect(await evidence(pooled)).toHaveLength(3);
  });

  it('keeps up with many concurrent requests across workers', async () => {
    const logs = Array.from({ length: 16 }, () => new TestLog().grow(3));
    for (const l of logs) await pooled.trust(l);
    const replies = await Promise.all(logs.map((l) => pooled.post(l.body(0))));
    expect(replies.map((r) => r.status)).toEqual(logs.map(() => 200));
  });
});
