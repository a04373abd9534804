/**
 * X-Content-Type-Options: nosniff on every answer of a server, not only its pages: tiles, entry
 * bundles, notes and JSON carry text a publisher or a log chose, and a browser must never guess
 * that such bytes are HTML or script whatever is in them.
 */
import type { MiddlewareHandler } from 'hono';

export const noSniff: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set('x-content-type-options', 'nosniff');
};
