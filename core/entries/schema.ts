/**
 * Tiny strict validators for entry JSON: exact key sets, bounded strings, safe integers, fixed-size
 * lowercase hex. Each failure names the JSON path so a submitter can fix it.
 */
import { FleetlogError } from '../errors.ts';
import type { Json } from './canonical-json.ts';

export type JsonObject = { [key: string]: Json };

export function fail(path: string, why: string): never {
  throw new FleetlogError('bad_entry', `${path}: ${why}`);
}

export function object(value: Json | undefined, path: string, keys: readonly string[]): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be an object');
  const obj = value as JsonObject;
  for (const k of Object.keys(obj)) if (!keys.includes(k)) fail(path, `unknown field ${JSON.stringify(k)}`);
  for (const k of keys) if (!(k in obj)) fail(path, `missing field ${JSON.stringify(k)}`);
  return obj;
}

export function array(value: Json | undefined, path: string, min: number, max: number): Json[] {
  if (!Array.isArray(value)) fail(path, 'must be an array');
  if (value.length < min || value.length > max) fail(path, `must have ${min} to ${max} items, has ${value.length}`);
  return value;
}

/** Identifiers: fleet ids, HSM ids, regions. Lowercase, URL- and filename-safe. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Free text that stays on one line: printable ASCII. */
export const LABEL_PATTERN = /^[\x20-\x7e]{1,128}$/;
/** Key names as in signed notes (no spaces, no '+'). */
export const KEY_NAME_PATTERN = /^[\x21-\x2a\x2c-\x7e]{1,256}$/;

export function string(value: Json | undefined, path: string, pattern: RegExp): string {
  if (typeof value !== 'string') fail(path, 'must be a string');
  if (!pattern.test(value)) fail(path, `has an invalid value ${JSON.stringify(value.slice(0, 40))}`);
  return value;
}

export function uint(value: Json | undefined, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(path, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function hex(value: Json | undefined, path: string, bytes: number): string {
  if (typeof value !== 'string' || value.length !== bytes * 2 || !/^[0-9a-f]*$/.test(value)) {
    fail(path, `must be ${bytes} bytes of lowercase hex`);
  }
  return value;
}

export function hexVar(value: Json | undefined, path: string, minBytes: number, maxBytes: number): string {
  if (
    typeof value !== 'string' ||
    value.length % 2 !== 0 ||
    value.length < minBytes * 2 ||
    value.length > maxBytes * 2 ||
    !/^[0-9a-f]*$/.test(value)
  ) {
    fail(path, `must be ${minBytes} to ${maxBytes} bytes of lowercase hex`);
  }
  return value;
}
