/**
 * The files the two parties exchange: entries as their exact canonical bytes (the leaf hash of the
 * file is the leaf hash of the entry), drafts and descriptions as JSON, every read capped. Every
 * output goes through service/atomic-file.ts, so a refused or interrupted command leaves the old
 * file or none, never half of a new one.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { FleetlogError } from '../core/errors.ts';
import { MAX_ENTRY_BYTES } from '../core/entry-bundle.ts';
import type { Json } from '../core/entries/canonical-json.ts';
import { MAX_POLICY_CHARS, parsePolicy, type Policy } from '../core/policy/policy.ts';
import { writeFileAtomicSync } from '../service/atomic-file.ts';

const MAX_DESCRIPTION_BYTES = 1024 * 1024;

/**
 * Reads at most `maxBytes` of a regular file. The other party chooses these files, so a path that
 * names /dev/zero, a FIFO or a device is refused before reading (O_NONBLOCK: opening a FIFO does
 * not wait for a writer), and the read stops at the cap whatever the size stat reported.
 */
function readCapped(path: string, maxBytes: number, what: string): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) throw new FleetlogError('io', `${what} ${path} is not a regular file`);
    const buf = Buffer.alloc(maxBytes + 1);
    let got = 0;
    for (let n = 1; n > 0 && got < buf.length; got += n) n = readSync(fd, buf, got, buf.length - got, null);
    if (got > maxBytes) throw new FleetlogError('too_large', `${what} ${path} is larger than ${maxBytes} bytes`);
    return buf.subarray(0, got);
  } catch (e) {
    if (e instanceof FleetlogError) throw e;
    throw new FleetlogError('io', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** UTF-8 text, refused (not silently repaired with U+FFFD) when its bytes are not UTF-8. */
function utf8Text(bytes: Buffer, path: string, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new FleetlogError('bad_encoding', `${what} ${path} is not valid UTF-8`);
  }
}

/** An entry file: its exact bytes (one trailing newline, as editors add, is dropped). */
export function readEntryFile(path: string, what: string): Uint8Array {
  const bytes = new Uint8Array(readCapped(path, MAX_ENTRY_BYTES + 1, what));
  return bytes.at(-1) === 0x0a ? bytes.subarray(0, -1) : bytes;
}

export function readJsonFile(path: string, what: string): Json {
  const text = utf8Text(readCapped(path, MAX_DESCRIPTION_BYTES, what), path, what);
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new FleetlogError('bad_entry', `${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export function readPolicyFile(path: string): { policy: Policy; text: string } {
  const text = utf8Text(readCapped(path, MAX_POLICY_CHARS, 'policy file'), path, 'policy file');
  return { policy: parsePolicy(text), text };
}

/** Writes an output file atomically (temp file, fsync, rename). */
export function writeOutput(path: string, data: string | Uint8Array, what: string): void {
  writeFileAtomicSync(path, data, what);
}
