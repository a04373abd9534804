/**
 * Reading request bodies with a hard cap: a declared Content-Length over the cap is refused before
 * reading, and a streamed body is cut off as soon as it passes the cap.
 *
 * Under @hono/node-server the body is read straight from Node's IncomingMessage (c.env.incoming):
 * building a WHATWG Request and ReadableStream per request costs more than most handlers. Elsewhere
 * (app.request in tests, other runtimes) the web stream is read.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { FleetlogError } from '../core/errors.ts';

export async function readBodyCapped(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = c.req.header('content-length');
  if (declared !== undefined) {
    if (!/^[0-9]{1,15}$/.test(declared)) throw new FleetlogError('usage', 'malformed Content-Length');
    if (Number(declared) > maxBytes)
      throw new FleetlogError('too_large', `request body of ${declared} bytes exceeds the ${maxBytes}-byte limit`);
  }
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && typeof incoming.on === 'function' && !incoming.readableEnded && !c.req.raw.bodyUsed)
    return readIncomingCapped(incoming, maxBytes);
  const stream = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  const body = await readStreamCapped(stream, maxBytes);
  if (body === undefined) throw new FleetlogError('too_large', `request body exceeds the ${maxBytes}-byte limit`);
  return body;
}

/**
 * Reads a web stream to the end, or gives up (cancelling the stream) and returns undefined as soon
 * as it passes `maxBytes`. For request bodies here and for responses from untrusted peers.
 */
export async function readStreamCapped(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}

function readIncomingCapped(incoming: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const cleanup = (): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        cleanup();
        // Node discards the rest of the body once the response is sent.
        reject(new FleetlogError('too_large', `request body exceeds the ${maxBytes}-byte limit`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(concat(chunks, total));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(new FleetlogError('usage', `the request body could not be read: ${e.message}`));
    };
    const onClose = (): void => {
      if (incoming.readableEnded) {
        onEnd();
        return;
      }
      cleanup();
      reject(new FleetlogError('usage', 'the client closed the connection before sending the whole body'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const ch of chunks) {
    out.set(ch, at);
    at += ch.length;
  }
  return out;
}
