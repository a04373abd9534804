// The sequencer: batching, dedup, evidence references, pipelined commits and failure recovery.
import { afterEach, describe, expect, it } from 'vitest';
import { bytesEqual } from '../../core/bytes.ts';
import { openCheckpoint } from '../../core/checkpoint.ts';
import { verifyConsistency, verifyInclusion } from '../../core/merkle/verify.ts';
import { parseSignerKey, parseVerifierKey } from '../../core/note/keys.ts';
import { ed25519NoteSigner, ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { silentLogger } from '../../service/logger.ts';
import { readKeyFile } from '../../service/key-file.ts';
import { dbPath, keyPath } from '../../log-server/data-dir.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { createLogMetrics } from '../../log-server/metrics.ts';
import { ProofService } from '../../log-server/proofs.ts';
import { recoverFrontier } from '../../log-server/recover.ts';
import { Sequencer, type AppendResult } from '../../log-server/sequencer.ts';
import { SqliteLogStorage } from '../../log-server/storage/sqlite-storage.ts';
import type { IntegratedBatch, LogStorage, StoredCheckpoint } from '../../log-server/storage/storage.ts';
import { validateEntry } from '../../log-server/validation/validate.ts';
import { freshLog, KEYS } from './helpers.ts';

const keys = {
  publishers: [parseVerifierKey(KEYS.publisher.vkey)],
  countersigners: [parseVerifierKey(KEYS.countersigner.vkey)],
};

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** Wraps storage so tests can slow down or fail commits. */
function controllable(
  inner: SqliteLogStorage,
): LogStorage & { failNext: boolean; loseAnswerNext: boolean; delayMs: number; batches: number[] } {
  const control = { failNext: false, loseAnswerNext: false, delayMs: 0, batches: [] as number[] };
  const appendBatch = async (batch: IntegratedBatch): Promise<void> => {
    if (control.delayMs) await new Promise((r) => setTimeout(r, control.delayMs));
    if (control.failNext) {
      control.failNext = false;
      throw new Error('disk full (simulated)');
    }
    await inner.appendBatch(batch);
    control.batches.push(batch.entries.length);
    if (control.loseAnswerNext) {
      // PostgreSQL committed, then the connection died before the answer came back.
      control.loseAnswerNext = false;
      throw new Error('Connection terminated unexpectedly');
    }
  };
  return new Proxy(inner, {
    get(target, key) {
      if (key === 'appendBatch') return appendBatch;
      if (key in control) return control[key as keyof typeof control];
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
    set(_target, key, value) {
      (control as Record<string, unknown>)[key as string] = value;
      return true;
    },
  }) as unknown as LogStorage & typeof control;
}

async function sequencerFor(options: { maxBatchSize?: number; maxWaitMs?: number } = {}) {
  const log = await freshLog();
  const inner = SqliteLogStorage.open(dbPath(log.dataDir));
  const storage = controllable(inner);
  const head = await inner.head();
  const checkpoints: StoredCheckpoint[] = [];
  const sequencer = new Sequencer({
    storage,
    proofs: new ProofService(inner),
    origin: head.origin,
    signer: ed25519NoteSigner(parseSignerKey(readKeyFile(keyPath(log.dataDir)))),
    frontier: await recoverFrontier(inner, head),
    latest: head.checkpoint,
    maxBatchSize: options.maxBatchSize ?? 64,
    maxWaitMs: options.maxWaitMs ?? 5,
    maxPending: 10_000,
    logger: silentLogger,
    metrics: createLogMetrics(),
    onCheckpoint: (cp) => checkpoints.push(cp),
  });
  closers.push(async () => {
    await sequencer.close();
    await inner.close();
  });
  return { log, storage, inner, sequencer, checkpoints };
}

function checkResult(r: AppendResult, vkey: string): void {
  const cp = openCheckpoint(r.checkpoint.note, [ed25519NoteVerifier(vkey)]).checkpoint;
  expect(cp.size).toBe(r.checkpoint.size);
  expect(verifyInclusion(r.index, cp.size, r.leafHash, r.proof, cp.rootHash)).toBe(true);
}

describe('Sequencer', () => {
  it('batches concurrent submissions into one checkpoint and answers each with a verifying proof', async () => {
    const { sequencer, storage, checkpoints, log } = await sequencerFor({ maxBatchSize: 16 });
    const evidence = generatePairs(KEYS, 40).map((p) => validateEntry(p.evidence, keys));
    const results = await Promise.all(evidence.map((e) => sequencer.submit(e)));
    expect(new Set(results.map((r) => r.index)).size).toBe(40);
    expect(storage.batches.every((n) => n <= 16)).toBe(true);
    expect(storage.batches.reduce((a, b) => a + b, 0)).toBe(40);
    expect(checkpoints.length).toBe(storage.batches.length);
    for (const r of results) checkResult(r, log.vkey);
  });

  it('deduplicates within a batch and across batches, returning the original index', async () => {
    const { sequencer, log, inner } = await sequencerFor();
    const [pair] = generatePairs(KEYS, 1);
    const ev = validateEntry(pair!.evidence, keys);
    const [a, b] = await Promise.all([sequencer.submit(ev), sequencer.submit(ev)]);
    expect(a!.index).toBe(b!.index);
    expect([a!.duplicate, b!.duplicate].sort()).toEqual([false, true]);
    const again = await sequencer.submit(ev);
    expect(again).toMatchObject({ index: a!.index, duplicate: true });
    checkResult(again, log.vkey);
    expect((await inner.head()).entryCount).toBe(1);
  });

  it('accepts a key set whose evidence is earlier in the same batch and refuses one whose evidence is not logged', async () => {
    const { sequencer, inner } = await sequencerFor({ maxWaitMs: 20 });
    const [p1, p2] = generatePairs(KEYS, 2);
    const [ev, ks] = await Promise.all([
      sequencer.submit(validateEntry(p1!.evidence, keys)),
      sequencer.submit(validateEntry(p1!.keyset, keys)),
    ]);
    expect(ks!.index).toBe(ev!.index + 1);
    await expect(sequencer.submit(validateEntry(p2!.keyset, keys))).rejects.toMatchObject({ code: 'entry_rejected' });
    expect((await inner.head()).entryCount).toBe(2);
    const fleets = await inner.listFleets('', 10);
    expect(fleets).toMatchObject([
      { fleetId: p1!.fleetId, keysets: [{ index: ks!.index, evidenceIndex: ev!.index, version: 1 }] },
    ]);
  });

  it('continues from the stored tree when a commit that reported failure was stored (its answer was lost)', async () => {
    const { sequencer, storage, inner, checkpoints, log } = await sequencerFor({ maxBatchSize: 4, maxWaitMs: 1 });
    const pairs = generatePairs(KEYS, 3);
    const [a, b, c] = pairs.map((p) => validateEntry(p.evidence, keys));
    checkResult(await sequencer.submit(a!), log.vkey);
    storage.loseAnswerNext = true;
    await expect(sequencer.submit(b!)).rejects.toMatchObject({ code: 'unavailable' });
    expect((await inner.head()).entryCount).toBe(2); // stored after all
    // The next batch builds on the stored tree (it was refused forever when built on the old one).
    const next = await sequencer.submit(c!);
    checkResult(next, log.vkey);
    expect(next.index).toBe(2);
    expect(sequencer.writesFailing).toBe(false);
    // The client's retry of the "failed" entry finds it where it was stored.
    expect(await sequencer.submit(b!)).toMatchObject({ index: 1, duplicate: true });
    expect(checkpoints.map((cp) => cp.size)).toEqual([1, 2, 3]);
  });

  it('pipelines commits, keeps every checkpoint consistent with the next, and recovers from a failed commit', async () => {
    const { sequencer, storage, checkpoints, inner, log } = await sequencerFor({ maxBatchSize: 8, maxWaitMs: 1 });
    storage.delayMs = 5;
    const pairs = generatePairs(KEYS, 60);
    const first = await Promise.all(pairs.slice(0, 30).map((p) => sequencer.submit(validateEntry(p.evidence, keys))));
    for (const r of first) checkResult(r, log.vkey);
    // One failing commit: that batch, and any batch built on it, fails and stores nothing.
    storage.failNext = true;
    const settled = await Promise.allSettled(
      pairs.slice(30).map((p) => sequencer.submit(validateEntry(p.evidence, keys))),
    );
    const failed = settled.filter((s) => s.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect((f as PromiseRejectedResult).reason).toMatchObject({ code: 'unavailable' });
    const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    for (const r of ok) checkResult(r, log.vkey);
    // Resubmitting the failed ones works, and the stored log holds each entry exactly once.
    const retried = await Promise.all(pairs.slice(30).map((p) => sequencer.submit(validateEntry(p.evidence, keys))));
    const head = await inner.head();
    expect(head.entryCount).toBe(60);
    expect(new Set(retried.map((r) => r.index)).size).toBe(30);
    // Every durable checkpoint is consistent with the newest one.
    const proofs = new ProofService(inner);
    const newest = head.checkpoint;
    for (const cp of checkpoints) {
      const proof = await proofs.consistency(cp.size, newest.size);
      expect(verifyConsistency(cp.size, newest.size, cp.rootHash, newest.rootHash, proof)).toBe(true);
    }
    expect(checkpoints.map((c) => c.size)).toEqual([...checkpoints.map((c) => c.size)].sort((a, b) => a - b));
    expect(bytesEqual(checkpoints.at(-1)!.rootHash, newest.rootHash)).toBe(true);
  });

  it('drains queued submissions on close and then refuses new ones', async () => {
    const { sequencer, inner } = await sequencerFor({ maxWaitMs: 50 });
    const pending = generatePairs(KEYS, 5).map((p) => sequencer.submit(validateEntry(p.evidence, keys)));
    await sequencer.close();
    expect((await Promise.all(pending)).length).toBe(5);
    expect((await inner.head()).entryCount).toBe(5);
    await expect(sequencer.submit(validateEntry(generatePairs(KEYS, 1)[0]!.evidence, keys))).rejects.toMatchObject({
      code: 'unavailable',
    });
  });
});
