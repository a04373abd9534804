/** Response helpers with the exact content types and cache headers the log serves. */
import type { ErrorCode } from '../../core/errors.ts';
import { statusForCode } from '../../service/http-errors.ts';

export const TEXT_UTF8 = 'text/plain; charset=utf-8';
export const OCTET_STREAM = 'application/octet-stream';
/** Tiles, entry bundles and entries never change once served. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** /checkpoint and other views of the moving tree head must not be cached. */
export const NO_CACHE = 'no-cache';

export function bytesResponse(
  data: Uint8Array,
  contentType: string,
  cacheControl: string,
  extraHeaders?: Record<string, string>,
): Response {
  return new Response(data as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: { 'content-type': contentType, 'cache-control': cacheControl, ...extraHeaders },
  });
}

export function textResponse(text: string, cacheControl = NO_CACHE): Response {
  return new Response(text, { status: 200, headers: { 'content-type': TEXT_UTF8, 'cache-control': cacheControl } });
}

export function jsonResponse(value: unknown, status = 200, cacheControl = NO_CACHE): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': cacheControl },
  });
}

/** A JSON body already serialised (e.g. from a cache); the same headers as `jsonResponse`. */
export function jsonTextResponse(json: string, cacheControl = NO_CACHE): Response {
  return new Response(json, {
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': cacheControl },
  });
}

export function errorJson(code: ErrorCode, message: string, extraHeaders: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ code, message }), {
    status: statusForCode(code),
    headers: { 'content-type': 'application/json', 'cache-control': NO_CACHE, ...extraHeaders },
  });
}

/** 503 for every view of the published checkpoint until one has met the witness quorum. */
export function notPublishedYet(): Response {
  return errorJson('unavailable', 'no checkpoint has met the witness quorum yet', { 'retry-after': '5' });
}
