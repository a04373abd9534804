/**
 * Running a Hono app on a real socket with @hono/node-server, and shutting it down cleanly:
 * stop accepting, let in-flight requests finish, then run the service's own drain (e.g. the
 * sequencer's last batch) before the process exits.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { createServer, type IncomingMessage, type RequestListener, type ServerOptions } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FleetlogError } from '../core/errors.ts';
import type { Logger } from './logger.ts';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):([0-9]{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535)
    throw new FleetlogError('usage', `--listen must be HOST:PORT, got ${JSON.stringify(listen)}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/**
 * Most requests one connection may have waiting for their answers. HTTP/1.1 lets a client send
 * requests back to back (pipelining) without reading the answers, and Node dispatches every request
 * in a received chunk at once: one 64 KiB chunk holds about 1,800 small GETs, whose answers are all
 * built and kept in memory for a client that never reads them (20 such connections took a witness
 * from 214 MB to 1 GB and a legitimate request to 7 s). Nothing we serve needs more than one
 * request in flight per connection; a connection that goes past this is closed.
 */
export const MAX_PENDING_REQUESTS_PER_CONNECTION = 8;

/** `listener`, except that a connection with too many unanswered requests is closed instead. */
function limitPipelining(listener: RequestListener): RequestListener {
  const pending = new WeakMap<Socket, number>();
  return (req: IncomingMessage, res) => {
    const socket = req.socket;
    if (socket.destroyed) return;
    const count = (pending.get(socket) ?? 0) + 1;
    if (count > MAX_PENDING_REQUESTS_PER_CONNECTION) {
      socket.destroy();
      return;
    }
    pending.set(socket, count);
    res.once('close', () => pending.set(socket, (pending.get(socket) ?? 1) - 1));
    listener(req, res);
  };
}

export async function startHttpServer(
  app: Hono,
  listen: { host: string; port: number },
  onClose?: () => Promise<void>,
): Promise<RunningServer> {
  let server!: ServerType;
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve(
      {
        fetch: app.fetch,
        hostname: listen.host,
        port: listen.port,
        // @hono/node-server calls it as createServer(options, listener): wrap its listener.
        createServer: ((options: ServerOptions, listener: RequestListener) =>
          createServer(options, limitPipelining(listener))) as typeof createServer,
      },
      (info) => resolve(info),
    );
    server.once('error', reject);
  });
  // Idle keep-alive connections stay open for a minute. A short server timeout races clients:
  // a client whose event loop is busy (e.g. hashing a password) cannot see the server's FIN and
  // sends its next POST on a socket the server just closed, which fails without reaching us.
  // close() below drops idle connections itself, so shutdown does not wait for this timeout.
  (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 65_000;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        });
        await onClose?.();
      })();
      return closing;
    },
  };
}

/** SIGTERM / SIGINT: close the server (which drains), then exit 0. A second signal exits at once. */
export function exitOnSignals(server: RunningServer, logger: Logger): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info('shutting down', { signal });
    server.close().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (e: unknown) => {
        logger.error('shutdown failed', { error: String(e) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
