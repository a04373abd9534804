/**
 * Serves a SyntheticLog over real HTTP the way a tlog-tiles log does, with a hook that lets a test
 * play a malicious log or proxy: rewrite any response, stall, stream forever, or cut a body short.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isFleetlogError } from '../../../core/errors.ts';
import { parseTilePath } from '../../../core/merkle/tiles.ts';
import type { SyntheticLog } from './synthetic-log.ts';

export type Reply =
  | {
      readonly status: number;
      readonly body: Uint8Array | string;
      readonly contentType?: string;
      /** Further response headers (Location, Content-Encoding, …). */
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Never answer. */
  | { readonly kind: 'hang' }
  /** 200 with a chunked body that never ends. */
  | { readonly kind: 'endless' }
  /** Declare `declared` bytes, send `body`, then drop the connection. */
  | { readonly kind: 'truncate'; readonly body: Uint8Array; readonly declared: number };

/** `query`: the request's query string (fleetlog's routes beyond tlog-tiles take parameters). */
export type Handler = (path: string, query: URLSearchParams) => Reply | undefined;
/** Sees every reply; returns a replacement, or undefined to keep it. */
export type Tamper = (path: string, reply: Reply) => Reply | undefined;

export interface Served {
  readonly url: string;
  readonly requests: string[];
  tamper: Tamper | undefined;
  close(): Promise<void>;
}

const notFound: Reply = { status: 404, body: 'not found\n', contentType: 'text/plain' };

export function logHandler(log: () => SyntheticLog, extra?: Handler): Handler {
  return (path, query) => {
    const fromExtra = extra?.(path, query);
    if (fromExtra) return fromExtra;
    if (path === 'checkpoint') return { status: 200, body: log().published, contentType: 'text/plain; charset=utf-8' };
    if (path.startsWith('tile/')) {
      let parsed: ReturnType<typeof parseTilePath>;
      try {
        parsed = parseTilePath(path);
      } catch (e) {
        if (isFleetlogError(e)) return notFound;
        throw e;
      }
      const data = parsed.kind === 'entries' ? log().bundle(parsed.tile) : log().tile(parsed.tile);
      return data ? { status: 200, body: data, contentType: 'application/octet-stream' } : notFound;
    }
    return undefined;
  };
}

export async function serve(handler: Handler): Promise<Served> {
  const requests: string[] = [];
  const served: { tamper: Tamper | undefined } = { tamper: undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const [rawPath, rawQuery] = (req.url ?? '/').split('?');
    const path = decodeURIComponent(rawPath!.replace(/^\/+/, ''));
    requests.push(path);
    let reply: Reply = handler(path, new URLSearchParams(rawQuery ?? '')) ?? notFound;
    reply = served.tamper?.(path, reply) ?? reply;
    if ('kind' in reply) {
      if (reply.kind === 'hang') return;
      if (reply.kind === 'endless') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 7);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        res.on('close', () => res.removeAllListeners('drain'));
        pump();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(reply.declared) });
      res.write(reply.body);
      setTimeout(() => res.destroy(), 10);
      return;
    }
    const body =
      typeof reply.body === 'string'
        ? Buffer.from(reply.body)
        : Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.length);
    res.writeHead(reply.status, {
      'content-type': reply.contentType ?? 'application/octet-stream',
      'content-length': String(body.length),
      ...reply.headers,
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    get tamper() {
      return served.tamper;
    },
    set tamper(t) {
      served.tamper = t;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function serveLog(log: SyntheticLog | (() => SyntheticLog), extra?: Handler): Promise<Served> {
  const get = typeof log === 'function' ? log : () => log;
  return serve(logHandler(get, extra));
}

/** A tamper that rewrites the body of one path (a 200 reply); other paths pass through. */
export function rewrite(
  target: string | ((path: string) => boolean),
  f: (body: Uint8Array) => Uint8Array | string,
): Tamper {
  return (path, reply) => {
    if (!(typeof target === 'string' ? path === target : target(path)) || !('status' in reply) || reply.status !== 200)
      return undefined;
    const body = typeof reply.body === 'string' ? new TextEncoder().encode(reply.body) : reply.body;
    return { status: 200, body: f(body), ...(reply.contentType ? { contentType: reply.contentType } : {}) };
  };
}

/** A tamper that answers one path with `reply` instead. */
export function replace(target: string, reply: Reply): Tamper {
  return (path) => (path === target ? reply : undefined);
}
