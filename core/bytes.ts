/**
 * Byte helpers with strict, canonical decoding. Everything here is pure and runs in a browser; where
 * Node's Buffer exists it is used only as a faster codec, never for different behaviour.
 */
import { FleetlogError } from './errors.ts';

const NodeBuffer: typeof Buffer | undefined = (globalThis as { Buffer?: typeof Buffer }).Buffer;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes UTF-8, rejecting invalid sequences (never substitutes U+FFFD). */
export function decodeUtf8(bytes: Uint8Array, what = 'text'): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new FleetlogError('bad_encoding', `${what} is not valid UTF-8`);
  }
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HEX = '0123456789abcdef';

/** Lowercase hex, the only form fleetlog emits. */
export function toHex(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
  let s = '';
  for (const b of bytes) s += HEX[b >> 4]! + HEX[b & 15]!;
  return s;
}

const LOWER_HEX = /^(?:[0-9a-f]{2})*$/;

/** Decodes lowercase hex; uppercase, odd length or stray characters are rejected (canonical form). */
export function fromHex(hex: string, expectedLength?: number, what = 'hex value'): Uint8Array {
  if (!LOWER_HEX.test(hex)) throw new FleetlogError('bad_encoding', `${what} must be lowercase hex`);
  if (expectedLength !== undefined && hex.length !== expectedLength * 2) {
    throw new FleetlogError(
      'bad_encoding',
      `${what} must be ${expectedLength} bytes (${expectedLength * 2} hex digits), got ${hex.length / 2}`,
    );
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Standard base64 with padding (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const B64_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Decodes standard, padded base64 and insists on the canonical encoding: no whitespace, no missing
 * padding, and zero bits in the padding (so every byte string has exactly one accepted encoding).
 */
export function fromBase64(text: string, expectedLength?: number, what = 'base64 value'): Uint8Array {
  if (!B64.test(text)) throw new FleetlogError('bad_encoding', `${what} is not canonical padded base64`);
  // Non-zero padding bits would let two strings decode to the same bytes.
  if (text.endsWith('==')) {
    if (B64_CHARS.indexOf(text[text.length - 3]!) & 0x0f)
      throw new FleetlogError('bad_encoding', `${what} has non-zero padding bits`);
  } else if (text.endsWith('=')) {
    if (B64_CHARS.indexOf(text[text.length - 2]!) & 0x03)
      throw new FleetlogError('bad_encoding', `${what} has non-zero padding bits`);
  }
  let out: Uint8Array;
  if (NodeBuffer) {
    const buf = NodeBuffer.from(text, 'base64');
    out = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  } else {
    const bin = atob(text);
    out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  }
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new FleetlogError('bad_encoding', `${what} must decode to ${expectedLength} bytes, got ${out.length}`);
  }
  return out;
}

/** Big-endian unsigned integers, for key IDs, timestamps and bundle lengths. */
export function readUint32BE(bytes: Uint8Array, offset = 0): number {
  return ((bytes[offset]! << 24) >>> 0) + (bytes[offset + 1]! << 16) + (bytes[offset + 2]! << 8) + bytes[offset + 3]!;
}

export function writeUint32BE(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

export function readUint64BE(bytes: Uint8Array, offset = 0): bigint {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(bytes[offset + i]!);
  return v;
}

export function writeUint64BE(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  let v = value;
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
