// Shared fixtures for log-server tests: a fresh log with a token, the load generator's keys and
// policy, and checks that answers verify the way an independent client would check them.
import { join } from 'node:path';
import { expect } from 'vitest';
import { fromHex } from '../../core/bytes.ts';
import { openCheckpoint, type Checkpoint } from '../../core/checkpoint.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { verifyInclusion } from '../../core/merkle/verify.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { parseTlogProof } from '../../core/tlog-proof.ts';
import { addToken, initLog } from '../../log-server/index.ts';
import { loadKeys, loadPolicyText } from '../../log-server/load/keys.ts';
import { tempDir } from '../support/process.ts';

export const SEED = 'log-server-tests';
export const KEYS = loadKeys(SEED);
export const POLICY = loadPolicyText(KEYS, SEED);
export const ORIGIN = 'test.example/log';

export async function freshLog(
  origin = ORIGIN,
): Promise<{ dir: string; dataDir: string; vkey: string; token: string }> {
  const dir = tempDir('fleetlog-log-test-');
  const dataDir = join(dir, 'log');
  const { vkey } = await initLog({ dataDir, origin });
  const token = await addToken({ dataDir, name: 'tests' });
  return { dir, dataDir, vkey, token };
}

export interface AddEntryAnswer {
  index: number;
  leafHash: string;
  checkpoint: string;
  proof: string;
  duplicate?: boolean;
}

/** Checks an add-entry answer the way a submitter would: signature, proof, leaf hash, extra. */
export function checkAnswer(answer: AddEntryAnswer, entry: Uint8Array, vkey: string): Checkpoint {
  const cp = openCheckpoint(answer.checkpoint, [ed25519NoteVerifier(vkey)]).checkpoint;
  const proof = parseTlogProof(answer.proof);
  expect(proof.index).toBe(answer.index);
  expect(proof.checkpoint).toBe(answer.checkpoint);
  expect(proof.extra).toEqual(entry);
  expect(answer.leafHash).toBe(Buffer.from(leafHash(entry)).toString('hex'));
  expect(verifyInclusion(answer.index, cp.size, fromHex(answer.leafHash, 32), proof.proof, cp.rootHash)).toBe(true);
  return cp;
}
