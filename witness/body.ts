/**
 * Reading the add-checkpoint body. With a declared Content-Length within the cap, the HTTP parser
 * already bounds the body to that length, so it is read through @hono/node-server's direct path
 * (no web-stream machinery, a measurable cost per request). Anything else, such as chunked bodies,
 * goes through the shared capped stream reader, which cuts off at the cap.
 */
import type { Context } from 'hono';
import { readBodyCapped } from '../service/body.ts';

const DECIMAL = /^[0-9]{1,15}$/;

export async function readRequestBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && DECIMAL.test(declared) && Number(declared) <= maxBytes && c.req.header('transfer-encoding') === undefined) {
    return new Uint8Array(await c.req.arrayBuffer());
  }
  return readBodyCapped(c, maxBytes);
}
