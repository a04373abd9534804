/**
 * Structure-aware mutation of valid samples, as fast-check arbitraries (so failures shrink to a
 * short list of mutations). Besides byte flips, inserts and cuts, it works on what the formats
 * are made of: lines (duplicate, drop, swap, repeat hundreds of times), space-separated tokens
 * (replaced by numbers at the edges of their range, non-canonical base64, keywords, control and
 * non-ASCII characters), JSON values (replaced, removed, added, duplicated keys) and uint16
 * length prefixes. Random bytes alone rarely get past the first line of a signed note.
 */
import fc from 'fast-check';
import { concatBytes, utf8 } from '../core/bytes.ts';
import type { InputShape } from './targets.ts';

const TEXT_TOKENS = [
  '',
  '\n',
  '\n\n',
  '\r\n',
  '\r',
  ' ',
  '  ',
  '\t',
  '\u2014 ',
  '\u2014',
  '-',
  '+',
  '0',
  '00',
  '01',
  '-1',
  '1',
  '255',
  '256',
  '9007199254740991',
  '9007199254740992',
  '18446744073709551615',
  '18446744073709551616',
  '1e3',
  '0x10',
  '=',
  '==',
  'A',
  'AAAA',
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=',
  '////',
  '-_-_',
  '\u0000',
  '\u007f',
  '\ufeff',
  '\u00e9',
  '\u{1F600}',
  'old ',
  'index ',
  'extra ',
  'c2sp.org/tlog-proof@v1',
  'tile/',
  'entries/',
  '.p/',
  'x001',
  '/',
  '#',
  'log ',
  'witness ',
  'group ',
  'quorum ',
  'none',
  'all',
  'any',
  'fleetlog ',
  'publisher',
  '"',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  'null',
  '\\u0000',
  '\\ud800',
  '__proto__',
];
/** Byte sequences that are not valid UTF-8: overlong, surrogate, truncated, stray continuation. */
const RAW_TOKENS = [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff], [0xe2, 0x80], [0x80], [0xef, 0xbf, 0xbe]];
const TOKENS: Uint8Array[] = [...TEXT_TOKENS.map(utf8), ...RAW_TOKENS.map((b) => new Uint8Array(b))];

const JSON_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  1,
  -1,
  1.5,
  2 ** 53,
  2 ** 53 + 2,
  1e21,
  -1e-7,
  '',
  'a',
  'x'.repeat(300),
  '\u0000',
  '\ud800',
  '00',
  [],
  {},
  [[]],
  { a: {} },
  [1, 2, 3],
];

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'insert'; at: number; token: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'duplicate'; at: number; length: number }
  | { op: 'truncate'; at: number }
  | { op: 'splice'; other: number; at: number; from: number }
  | { op: 'line-duplicate'; line: number }
  | { op: 'line-delete'; line: number }
  | { op: 'line-swap'; line: number; with: number }
  | { op: 'line-repeat'; line: number; times: number }
  | { op: 'token-replace'; line: number; word: number; token: number }
  | { op: 'json-replace'; node: number; value: number }
  | { op: 'json-delete'; node: number }
  | { op: 'json-add'; node: number; key: number; value: number }
  | { op: 'json-duplicate-key'; node: number }
  | { op: 'u16'; at: number; value: number };

const pos = fc.nat({ max: 1 << 20 });
const byteOps: Array<fc.Arbitrary<Mutation>> = [
  fc.record({ op: fc.constant('flip' as const), at: pos, bit: fc.nat({ max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: pos, byte: fc.nat({ max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: pos, token: fc.nat({ max: TOKENS.length - 1 }) }),
  fc.record({ op: fc.constant('delete' as const), at: pos, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: pos, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: pos }),
  fc.record({ op: fc.constant('splice' as const), other: fc.nat({ max: 1000 }), at: pos, from: pos }),
];
const lineOps: Array<fc.Arbitrary<Mutation>> = [
  fc.record({ op: fc.constant('line-duplicate' as const), line: pos }),
  fc.record({ op: fc.constant('line-delete' as const), line: pos }),
  fc.record({ op: fc.constant('line-swap' as const), line: pos, with: pos }),
  fc.record({ op: fc.constant('line-repeat' as const), line: pos, times: fc.constantFrom(2, 17, 64, 65, 300) }),
  fc.record({
    op: fc.constant('token-replace' as const),
    line: pos,
    word: pos,
    token: fc.nat({ max: TOKENS.length - 1 }),
  }),
];
const jsonOps: Array<fc.Arbitrary<Mutation>> = [
  fc.record({ op: fc.constant('json-replace' as const), node: pos, value: fc.nat({ max: JSON_VALUES.length - 1 }) }),
  fc.record({ op: fc.constant('json-delete' as const), node: pos }),
  fc.record({
    op: fc.constant('json-add' as const),
    node: pos,
    key: fc.nat({ max: TEXT_TOKENS.length - 1 }),
    value: fc.nat({ max: JSON_VALUES.length - 1 }),
  }),
  fc.record({ op: fc.constant('json-duplicate-key' as const), node: pos }),
];
const binaryOps: Array<fc.Arbitrary<Mutation>> = [
  fc.record({ op: fc.constant('u16' as const), at: pos, value: fc.constantFrom(0, 1, 2, 255, 256, 0xfffe, 0xffff) }),
];

function mutationsFor(shape: InputShape): fc.Arbitrary<Mutation> {
  // Binary inputs have no lines: a "line" there is most of the input, and repeating it is only slow.
  const ops = shape === 'binary' ? [...byteOps] : [...byteOps, ...lineOps];
  if (shape === 'json') ops.push(...jsonOps, ...jsonOps); // weigh the structured ones up
  if (shape === 'binary') ops.push(...binaryOps, ...binaryOps);
  return fc.oneof(...ops);
}

/** Inputs made by applying 1 to 4 mutations to one of `samples`. */
export function mutatedInput(samples: readonly Uint8Array[], shape: InputShape): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.nat({ max: samples.length - 1 }), fc.array(mutationsFor(shape), { minLength: 1, maxLength: 4 }))
    .map(([i, ms]) => ms.reduce((bytes, m) => apply(bytes, m, samples), samples[i]!));
}

function apply(b: Uint8Array, m: Mutation, samples: readonly Uint8Array[]): Uint8Array {
  const at = (n: number): number => n % (b.length + 1);
  switch (m.op) {
    case 'flip': {
      if (b.length === 0) return b;
      const out = b.slice();
      out[m.at % b.length]! ^= 1 << m.bit;
      return out;
    }
    case 'set': {
      if (b.length === 0) return b;
      const out = b.slice();
      out[m.at % b.length] = m.byte;
      return out;
    }
    case 'insert':
      return concatBytes(b.subarray(0, at(m.at)), TOKENS[m.token]!, b.subarray(at(m.at)));
    case 'delete':
      return concatBytes(b.subarray(0, at(m.at)), b.subarray(Math.min(b.length, at(m.at) + m.length)));
    case 'duplicate': {
      const from = at(m.at);
      const piece = b.subarray(from, Math.min(b.length, from + m.length));
      return concatBytes(b.subarray(0, from), piece, piece, b.subarray(from));
    }
    case 'truncate':
      return b.subarray(0, at(m.at));
    case 'splice': {
      const other = samples[m.other % samples.length]!;
      return concatBytes(b.subarray(0, at(m.at)), other.subarray(m.from % (other.length + 1)));
    }
    case 'line-duplicate':
    case 'line-delete':
    case 'line-swap':
    case 'line-repeat':
    case 'token-replace':
      return applyToLines(b, m);
    case 'u16': {
      if (b.length < 2) return b;
      const out = b.slice();
      const i = m.at % (b.length - 1);
      out[i] = m.value >> 8;
      out[i + 1] = m.value & 0xff;
      return out;
    }
    default:
      return applyToJson(b, m);
  }
}

function splitLines(b: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0a) {
      lines.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  lines.push(b.subarray(start));
  return lines;
}

function joinLines(lines: readonly Uint8Array[]): Uint8Array {
  const nl = new Uint8Array([0x0a]);
  return concatBytes(...lines.flatMap((l, i) => (i === 0 ? [l] : [nl, l])));
}

function applyToLines(b: Uint8Array, m: Mutation): Uint8Array {
  const lines = splitLines(b);
  const n = lines.length;
  if (m.op === 'line-duplicate') {
    const i = m.line % n;
    lines.splice(i, 0, lines[i]!);
  } else if (m.op === 'line-delete') {
    if (n > 1) lines.splice(m.line % n, 1);
  } else if (m.op === 'line-swap') {
    const i = m.line % n;
    const j = m.with % n;
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  } else if (m.op === 'line-repeat') {
    const i = m.line % n;
    lines.splice(i, 0, ...Array.from({ length: m.times }, () => lines[i]!));
  } else if (m.op === 'token-replace') {
    const i = m.line % n;
    const words = splitOn(lines[i]!, 0x20);
    words[m.word % words.length] = TOKENS[m.token]!;
    lines[i] = concatBytes(...words.flatMap((w, k) => (k === 0 ? [w] : [new Uint8Array([0x20]), w])));
  }
  return joinLines(lines);
}

function splitOn(b: Uint8Array, sep: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === sep) {
      out.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  out.push(b.subarray(start));
  return out;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every node of a JSON value with a way to replace or remove it. */
function nodes(root: { value: Json }): Array<{ get(): Json; set(v: Json): void; remove(): void }> {
  const out: Array<{ get(): Json; set(v: Json): void; remove(): void }> = [];
  const visit = (get: () => Json, set: (v: Json) => void, remove: () => void): void => {
    out.push({ get, set, remove });
    const v = get();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++)
        visit(
          () => v[i]!,
          (x) => {
            v[i] = x;
          },
          () => {
            v.splice(i, 1);
          },
        );
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v))
        visit(
          () => v[k]!,
          (x) => {
            v[k] = x;
          },
          () => {
            delete v[k];
          },
        );
    }
  };
  visit(
    () => root.value,
    (x) => {
      root.value = x;
    },
    () => {
      root.value = null;
    },
  );
  return out;
}

const clone = (v: unknown): Json => JSON.parse(JSON.stringify(v)) as Json;

function applyToJson(b: Uint8Array, m: Mutation): Uint8Array {
  let value: Json;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b)) as Json;
  } catch {
    return b; // no longer JSON: the byte-level mutations carry on from here
  }
  const root = { value };
  const all = nodes(root);
  if (m.op === 'json-replace') all[m.node % all.length]!.set(clone(JSON_VALUES[m.value]));
  else if (m.op === 'json-delete') all[m.node % all.length]!.remove();
  else if (m.op === 'json-add') {
    const objects = all.map((x) => x.get()).filter((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
    const target = objects[m.node % Math.max(1, objects.length)] as { [k: string]: Json } | undefined;
    if (target) target[TEXT_TOKENS[m.key]!] = clone(JSON_VALUES[m.value]);
  } else if (m.op === 'json-duplicate-key') {
    // JSON.stringify cannot write a duplicate key: do it on the text, after the first '{'.
    const text = JSON.stringify(root.value);
    const match = /\{"([^"\\]*)":/.exec(text);
    if (!match) return utf8(text);
    const at = match.index + 1;
    return utf8(`${text.slice(0, at)}"${match[1]}":0,${text.slice(at)}`);
  }
  return utf8(JSON.stringify(root.value));
}
