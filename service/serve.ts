/**
 * Running a Hono app on a real socket with @hono/node-server, and shutting it down cleanly:
 * stop accepting, let in-flight requests finish, then run the service's own drain (e.g. the
 * sequencer's last batch) before the process exits.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FleetlogError } from '../core/errors.ts';
import { guardConnections, type ConnectionGuard, type ConnectionLimits } from './connection-guard.ts';

/** How many requests one connection may have unanswered (service/connection-guard.ts enforces it). */
export { MAX_PENDING_REQUESTS_PER_CONNECTION } from './connection-guard.ts';
import type { Logger } from './logger.ts';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Open connections and how many were closed for room or silence (service/connection-guard.ts). */
  readonly connections: ConnectionGuard['stats'];
  close(): Promise<void>;
}

/**
 * A request's headers must arrive within 10 s of its first byte and its whole body within 30 s
 * (Node's defaults are 60 s and 300 s, checked every 30 s): request bodies here are at most 64 KiB,
 * and a slow drip holds a connection only this long.
 */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const TIMEOUT_CHECK_MS = 1_000;

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):([0-9]{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535)
    throw new FleetlogError('usage', `--listen must be HOST:PORT, got ${JSON.stringify(listen)}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export async function startHttpServer(
  app: Hono,
  listen: { host: string; port: number },
  onClose?: () => Promise<void>,
  limits: ConnectionLimits = {},
): Promise<RunningServer> {
  let server!: ServerType;
  let guard: ConnectionGuard | undefined;
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve(
      {
        fetch: app.fetch,
        hostname: listen.host,
        port: listen.port,
        serverOptions: {
          headersTimeout: HEADERS_TIMEOUT_MS,
          requestTimeout: REQUEST_TIMEOUT_MS,
          connectionsCheckingInterval: TIMEOUT_CHECK_MS,
        },
      },
      (info) => resolve(info),
    );
    guard = guardConnections(server as Server, limits);
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
    connections: () => guard!.stats(),
    close() {
      closing ??= (async () => {
        guard?.stop();
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

/**
 * SIGTERM / SIGINT: close the server (which drains), then exit 0. A second signal exits at once.
 * Pass the server while it is still starting: the handlers must be in place before it listens, or a
 * supervisor's SIGTERM that arrives once /health answers but before start-up has returned (a
 * PostgreSQL log still joining its cluster, say) kills the process with no drain and no exit code.
 * A signal during start-up waits for it to finish, then closes; a start-up that fails exits 1.
 */
export function exitOnSignals(server: RunningServer | Promise<RunningServer>, logger: Logger): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info('shutting down', { signal });
    Promise.resolve(server)
      .then((running) => running.close())
      .then(
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
