/**
 * Reading request bodies with a hard cap: a declared Content-Length over the cap is refused before
 * reading, and a streamed body is cut off as soon as it passes the cap.
 */
import type { Context } from 'hono';
import { FleetlogError } from '../core/errors.ts';

export async function readBodyCapped(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = c.req.header('content-length');
  if (declared !== undefined) {
    if (!/^[0-9]{1,15}$/.test(declared)) throw new FleetlogError('usage', 'malformed Content-Length');
    if (Number(declared) > maxBytes) throw new FleetlogError('too_large', `request body of ${declared} bytes exceeds the ${maxBytes}-byte limit`);
  }
  const stream = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new FleetlogError('too_large', `request body exceeds the ${maxBytes}-byte limit`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const ch of chunks) {
    out.set(ch, at);
    at += ch.length;
  }
  return out;
}
