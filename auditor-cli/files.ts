/**
 * The auditor's file I/O: the pinned policy (read with a cap) and state files, which are written
 * atomically (temp file in the same directory, fsync, rename) so a crash or a full disk never
 * leaves a half-written state that would make the next run forget what it saw.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from '../service/atomic-file.ts';
import { FleetlogError } from '../core/errors.ts';
import { MAX_POLICY_CHARS, parsePolicy, type Policy } from '../core/policy/policy.ts';

const MAX_STATE_BYTES = 64 * 1024 * 1024;

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/** Reads a whole file no larger than `maxBytes`; undefined if it does not exist and `optional`. */
export function readCappedFile(path: string, maxBytes: number, what: string, optional = false): Buffer | undefined {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    if (optional && errno(e) === 'ENOENT') return undefined;
    throw new FleetlogError('io', `cannot read ${what} ${path}: ${errno(e)}`);
  }
  if (size > maxBytes) throw new FleetlogError('too_large', `${what} ${path} is larger than ${maxBytes} bytes`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new FleetlogError('io', `cannot read ${what} ${path}: ${errno(e)}`);
  }
}

export function loadPolicyFile(path: string): { policy: Policy; text: string } {
  const text = readCappedFile(path, MAX_POLICY_CHARS, 'policy file')!.toString('utf8');
  return { policy: parsePolicy(text), text };
}

export function readStateFile(path: string): string | undefined {
  return readCappedFile(path, MAX_STATE_BYTES, 'state file', true)?.toString('utf8');
}

/** Replaces a state file atomically (service/atomic-file.ts). */
export function writeStateFile(path: string, text: string): void {
  writeFileAtomicSync(path, text, 'state file');
}

export function removeFile(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch (e) {
    throw new FleetlogError('io', `cannot remove ${path}: ${errno(e)}`);
  }
}
