/**
 * HTTP GET that a malicious server cannot use against the auditor: every body has a byte cap
 * (checked against Content-Length before reading and again while streaming, after decompression,
 * so an endless body or a gzip bomb is cut off), every request has a deadline covering headers AND
 * body (so a slow drip cannot stall us), and transient failures are retried a few times.
 *
 * Built on node:http(s) with keep-alive agents rather than fetch(): a full audit makes two requests
 * per 256 entries, and fetch's per-request overhead was a third of the audit's CPU.
 *
 * Error codes say who is at fault, which decides the exit code:
 *   not_found  404: the server does not have it (exit 2: we could not check)
 *   Both 404 and other refusals (400, 403, …) carry the server's own reason when its body gives one.
 *   too_large  the body passed its cap (callers turn this into bad_tile / bad_checkpoint: the server
 *              sent something no honest server sends)
 *   network    connection failure, timeout, truncated body, 5xx or other status after retries (exit 2)
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { FleetlogError } from '../../core/errors.ts';
import { redirectTarget } from '../../service/http-redirects.ts';

export interface FetchOptions {
  /** The most bytes the body may have (after HTTP decompression). */
  readonly maxBytes: number;
  /** Deadline for the whole request, body included. */
  readonly timeoutMs: number;
  /** Extra attempts after a transient failure (network error, timeout, 5xx, 429). */
  readonly retries: number;
}

export const DEFAULT_TIMEOUT_MS = 20_000;
export const DEFAULT_RETRIES = 2;
const USER_AGENT = 'fleetlog-auditor/0.1';
const HEADERS = { 'user-agent': USER_AGENT, 'accept-encoding': 'gzip, identity' };

const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 32 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 32 }),
};

export interface FetchedBody {
  readonly status: number;
  readonly body: Uint8Array;
  readonly contentType: string | undefined;
}

class Transient extends Error {}
class Redirect {
  constructor(
    readonly status: number,
    readonly location: string,
  ) {}
}

function decoded(res: IncomingMessage): Readable {
  const encoding = (res.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') return res.pipe(createGunzip());
  if (encoding === 'deflate') return res.pipe(createInflate());
  if (encoding === 'br') return res.pipe(createBrotliDecompress());
  return res;
}

function attempt(url: URL, limits: FetchOptions): Promise<FetchedBody | Redirect> {
  return new Promise((resolve, reject) => {
    const agent = agents[url.protocol as 'http:' | 'https:'];
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const done = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const options = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port,
      path: url.pathname + url.search,
      method: 'GET',
      agent,
      headers: HEADERS,
    };
    const req = send(options, (res) => {
      const status = res.statusCode ?? 0;
      const fail = (e: Error): void => {
        // Settle first: destroying the response emits 'aborted' / 'close' synchronously.
        done(() => reject(e));
        res.destroy();
      };
      if (status >= 300 && status < 400 && res.headers.location && status !== 304) {
        res.resume();
        // Resolved and checked by the shared redirect policy, outside this callback: a malformed
        // Location must become a refusal, not an exception thrown on the socket's event.
        done(() => resolve(new Redirect(status, res.headers.location!)));
        return;
      }
      if (status === 429 || status >= 500) return fail(new Transient(`HTTP ${status}`));
      if (status !== 200) {
        // A refusal: read the start of the body, so the error can carry the server's own reason.
        readErrorReason(res, (reason) => {
          const said = reason ? `: ${reason}` : '';
          done(() =>
            reject(
              status === 404
                ? new FleetlogError('not_found', `${url.href} answered 404 Not Found${said}`, { detail: { status } })
                : new FleetlogError('network', `${url.href} answered HTTP ${status}${said}`, { detail: { status } }),
            ),
          );
        });
        return;
      }
      const declared = res.headers['content-length'];
      if (
        declared !== undefined &&
        /^[0-9]+$/.test(declared) &&
        Number(declared) > limits.maxBytes &&
        !res.headers['content-encoding']
      ) {
        return fail(
          new FleetlogError(
            'too_large',
            `${url.href} declares a ${declared}-byte body, more than the ${limits.maxBytes} bytes allowed`,
          ),
        );
      }
      const body = decoded(res);
      const chunks: Buffer[] = [];
      let total = 0;
      body.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > limits.maxBytes) {
          fail(new FleetlogError('too_large', `${url.href} sent more than the ${limits.maxBytes} bytes allowed`));
          body.destroy();
          return;
        }
        chunks.push(chunk);
      });
      body.on('error', (e) => fail(new Transient(`body interrupted: ${e.message}`)));
      body.on('end', () => {
        // A body that stops short of its Content-Length ends without res.complete.
        if (!res.complete) return fail(new Transient('body interrupted before its declared length'));
        const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
        done(() =>
          resolve({
            status,
            body: new Uint8Array(buf.buffer, buf.byteOffset, buf.length),
            contentType: res.headers['content-type'],
          }),
        );
      });
      res.on('aborted', () => fail(new Transient('body interrupted: connection closed')));
      res.on('close', () => {
        if (!res.complete) fail(new Transient('body interrupted: connection closed'));
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      done(() => reject(new Transient(`no complete response within ${limits.timeoutMs} ms`)));
    }, limits.timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) =>
      done(() => reject(new Transient(`cannot connect: ${e.code ?? e.message}`))),
    );
    req.end();
  });
}

/** The most of an error body we read, and the most of its reason we repeat. */
const MAX_ERROR_BODY_BYTES = 2048;
const MAX_REASON_CHARS = 200;

/**
 * The reason a server gave with a refusal: the `message` of a JSON error body (fleetlog's
 * `{"code","message"}`), else the first line of a text body. It comes from the server, so control
 * characters are dropped and it is cut short; calls back with undefined when there is none.
 */
function readErrorReason(res: IncomingMessage, callback: (reason: string | undefined) => void): void {
  const chunks: Buffer[] = [];
  let total = 0;
  let called = false;
  const finish = (): void => {
    if (called) return;
    called = true;
    res.destroy();
    const text = Buffer.concat(chunks).toString('utf8');
    let reason: string | undefined;
    try {
      const message = (JSON.parse(text) as { message?: unknown }).message;
      if (typeof message === 'string') reason = message;
    } catch {
      if (/^text\/plain/.test(res.headers['content-type'] ?? '')) reason = text.split('\n')[0];
    }
    const printable = [...(reason ?? '')].filter((c) => {
      const n = c.codePointAt(0)!;
      return n >= 0x20 && (n < 0x7f || n > 0x9f);
    });
    const clean = printable.join('').trim().slice(0, MAX_REASON_CHARS);
    callback(clean ? clean : undefined);
  };
  res.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    total += chunk.length;
    if (total >= MAX_ERROR_BODY_BYTES) finish();
  });
  res.on('end', finish);
  res.on('error', finish);
  res.on('close', finish);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** GET `url` with the caps above; resolves only with a complete 200 body. */
export async function fetchBounded(url: string, options: FetchOptions): Promise<FetchedBody> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new FleetlogError('usage', `not a URL: ${JSON.stringify(url)}`);
  }
  let last = '';
  for (let i = 0, redirects = 0; i <= options.retries; i++) {
    if (i > 0) await sleep(Math.min(2000, 100 * 2 ** i));
    try {
      const r = await attempt(target, options);
      if (r instanceof Redirect) {
        // The shared policy (service/http-redirects.ts), as the log's witness client follows it.
        target = redirectTarget(target.href, r.status, r.location, ++redirects, 'GET');
        i -= 1; // a redirect is not a failed attempt
        continue;
      }
      return r;
    } catch (e) {
      if (!(e instanceof Transient)) throw e;
      last = e.message;
    }
  }
  throw new FleetlogError('network', `GET ${url} failed after ${options.retries + 1} attempts: ${last}`);
}
