/**
 * The auditor's file I/O: the pinned policy (read with a cap) and state files, which are written
 * atomically (temp file in the same directory, fsync, rename) so a crash or a full disk never
 * leaves a half-written state that would make the next run forget what it saw.
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
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

/** Replaces `path` with `text` atomically. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw new FleetlogError('io', `cannot write state file ${path}: ${errno(e)}`);
  }
  try {
    // Make the rename itself durable.
    const dirFd = openSync(dirname(path), 'r');
    fsyncSync(dirFd);
    closeSync(dirFd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}

export function removeFile(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch (e) {
    throw new FleetlogError('io', `cannot remove ${path}: ${errno(e)}`);
  }
}
