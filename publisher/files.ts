/**
 * The files the two parties exchange: entries as their exact canonical bytes (the leaf hash of the
 * file is the leaf hash of the entry), drafts and descriptions as JSON, every read capped. Every
 * output goes through service/atomic-file.ts, so a refused or interrupted command leaves the old
 * file or none, never half of a new one.
 */
import { readFileSync, statSync } from 'node:fs';
import { FleetlogError } from '../core/errors.ts';
import { MAX_ENTRY_BYTES } from '../core/entry-bundle.ts';
import type { Json } from '../core/entries/canonical-json.ts';
import { MAX_POLICY_CHARS, parsePolicy, type Policy } from '../core/policy/policy.ts';
import { writeFileAtomicSync } from '../service/atomic-file.ts';

const MAX_DESCRIPTION_BYTES = 1024 * 1024;

function readCapped(path: string, maxBytes: number, what: string): Buffer {
  try {
    if (statSync(path).size > maxBytes)
      throw new FleetlogError('too_large', `${what} ${path} is larger than ${maxBytes} bytes`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof FleetlogError) throw e;
    throw new FleetlogError('io', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/** An entry file: its exact bytes (one trailing newline, as editors add, is dropped). */
export function readEntryFile(path: string, what: string): Uint8Array {
  const bytes = new Uint8Array(readCapped(path, MAX_ENTRY_BYTES + 1, what));
  return bytes.at(-1) === 0x0a ? bytes.subarray(0, -1) : bytes;
}

export function readJsonFile(path: string, what: string): Json {
  const text = readCapped(path, MAX_DESCRIPTION_BYTES, what).toString('utf8');
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new FleetlogError('bad_entry', `${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export function readPolicyFile(path: string): { policy: Policy; text: string } {
  const text = readCapped(path, MAX_POLICY_CHARS, 'policy file').toString('utf8');
  return { policy: parsePolicy(text), text };
}

/** Writes an output file atomically (temp file, fsync, rename). */
export function writeOutput(path: string, data: string | Uint8Array, what: string): void {
  writeFileAtomicSync(path, data, what);
}
