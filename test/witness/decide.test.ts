// The pure add-checkpoint decision (witness/decide.ts): which rule wins when several apply, and
// when a refusal is also split-view evidence.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { parseCheckpointNote } from '../../core/checkpoint.ts';
import { EMPTY_ROOT } from '../../core/merkle/hash.ts';
import { decide, type DecideInput, type Verdict } from '../../witness/decide.ts';
import type { LogState } from '../../witness/store.ts';
import { TestLog } from './test-log.ts';

const log = new TestLog().grow(40);
const fork = log.fork(20).grow(20, 'b');
const head = (size: number, from: TestLog = log) => parseCheckpointNote(from.checkpoint(size)).checkpoint;
const stored = (size: number, from: TestLog = log): LogState => ({
  origin: log.origin,
  treeSize: size,
  rootHash: from.root(size),
  note: from.checkpoint(size),
  lastTimestamp: 1,
});

function outcome(v: Verdict): string {
  const d = v.decision;
  const status =
    d.kind === 'cosign'
      ? 'cosign'
      : d.error.code === 'conflict'
        ? `409 size ${String(d.error.detail?.treeSize)}`
        : d.error.code;
  return v.splitView ? `${status} +evidence(${v.splitView.proof.length})` : status;
}

const run = (input: Partial<DecideInput> & Pick<DecideInput, 'checkpoint'>): string =>
  outcome(decide({ oldSize: 0, proof: [], stored: undefined, ...input }));

describe('decide', () => {
  it('orders the checks as the specification states them', () => {
    // old > size beats a stale old size
    expect(run({ oldSize: 30, checkpoint: head(20), stored: stored(25) })).toBe('bad_witness_request');
    // a stale old size beats a proof that is not allowed
    expect(run({ oldSize: 0, proof: [randomBytes(32)], checkpoint: head(30), stored: stored(25) })).toBe('409 size 25');
    // a non-empty proof with old 0 beats the size-0 root rule
    expect(run({ oldSize: 0, proof: [randomBytes(32)], checkpoint: { ...head(0), rootHash: randomBytes(32) } })).toBe(
      'bad_proof',
    );
    // old = size with a proof: 422 even if the roots also differ (and that is still evidence)
    expect(run({ oldSize: 25, proof: [randomBytes(32)], checkpoint: head(25, fork), stored: stored(25) })).toBe(
      'bad_proof +evidence(0)',
    );
  });

  it('cosigns growth, equal heads and anything from an empty state', () => {
    expect(run({ checkpoint: head(10) })).toBe('cosign');
    expect(run({ checkpoint: head(0) })).toBe('cosign');
    expect(run({ oldSize: 10, checkpoint: head(10), stored: stored(10) })).toBe('cosign');
    expect(run({ oldSize: 10, proof: log.proof(10, 33), checkpoint: head(33), stored: stored(10) })).toBe('cosign');
    expect(run({ oldSize: 0, checkpoint: head(33), stored: { ...stored(0), rootHash: EMPTY_ROOT } })).toBe('cosign');
  });

  it('marks conflicts with the cosigned head as evidence, whatever the status', () => {
    expect(run({ oldSize: 25, checkpoint: head(25, fork), stored: stored(25) })).toBe('inconsistent +evidence(0)');
    expect(run({ oldSize: 3, checkpoint: head(25, fork), stored: stored(25) })).toBe('409 size 25 +evidence(0)');
    expect(run({ oldSize: 22, proof: fork.proof(22, 30), checkpoint: head(30, fork), stored: stored(22) })).toBe(
      `bad_proof +evidence(${fork.proof(22, 30).length})`,
    );
    // A stale old size with a different size is not checkable: no evidence.
    expect(run({ oldSize: 22, proof: fork.proof(22, 30), checkpoint: head(30, fork), stored: stored(25) })).toBe(
      '409 size 25',
    );
    // Nothing cosigned yet: nothing to conflict with.
    expect(run({ oldSize: 0, checkpoint: { ...head(0), rootHash: randomBytes(32) } })).toBe('bad_proof');
  });
});
