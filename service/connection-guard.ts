/**
 * Bounds what an unauthenticated peer can hold open on a fleetlog server's socket.
 *
 * Without it, Node's HTTP server keeps a connection that never sends a byte for ever (its
 * headersTimeout only runs once a request has started), and accepts connections until the process
 * runs out of file descriptors. 25,000 silent connections from one machine, which cost the sender
 * nothing, then took the log off the air for everyone: every later connection was refused, and the
 * log's own files and witness requests compete for the same descriptors.
 *
 * The policy:
 *   - a connection has `firstRequestMs` to deliver its first request's headers, else it is closed;
 *   - later requests on a kept-alive connection have Node's headersTimeout (set by serve.ts);
 *   - at most `maxConnections` are open. When one more arrives, the longest-idle connection is
 *     closed to make room: first those silent since they connected, then those kept alive between
 *     requests. A flood of silent connections thus pushes out its own oldest members, not a client
 *     that connects and asks at once; a request in flight is never cut off for room.
 *   - a connection with MAX_PENDING_REQUESTS_PER_CONNECTION requests unanswered (pipelined, or answers
 *     it does not read) is closed on the next one;
 *   - a connection whose answer has waited `stalledWriteMs` with no byte taken by the client is
 *     closed: a request in flight is never evicted for room, so without this, clients that ask for
 *     a large tile and never read would hold their places (and the answers' memory) for ever;
 *   - past `maxConnections` plus the in-flight slack below, new connections are refused at accept,
 *     so the process always keeps descriptors for its database and its own outgoing requests.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Most connections kept open; one more closes the longest-idle one (default: from the fd limit). */
  readonly maxConnections?: number;
  /** How long a new connection may stay silent before its first request's headers (default 10 s). */
  readonly firstRequestMs?: number;
  /** How long an answer may sit unsent because the client does not read it (default 30 s). */
  readonly stalledWriteMs?: number;
}

export const DEFAULT_FIRST_REQUEST_MS = 10_000;
export const DEFAULT_STALLED_WRITE_MS = 30_000;
const DEFAULT_MAX_CONNECTIONS = 4096;
/**
 * Requests one connection may have in flight. HTTP/1.1 lets a client pipeline requests without
 * reading the answers, and Node dispatches every request of a received chunk at once: 2,000
 * pipelined tile requests in one 100 kB write made the log buffer 800 MB of answers, and 20 such
 * connections took a witness from 214 MB to 1 GB. Nothing we serve needs more than one request
 * in flight per connection.
 */
export const MAX_PENDING_REQUESTS_PER_CONNECTION = 8;
/** Connections with a request in flight that may exceed maxConnections before accept refuses. */
const IN_FLIGHT_SLACK = 64;

/**
 * The default connection cap: 4096, or three quarters of the open-file limit if that is lower, so
 * the rest stays free for the database, the key, logs and outgoing requests.
 */
export function defaultMaxConnections(): number {
  let limit = Number.POSITIVE_INFINITY;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) limit = Number(m[1]);
  } catch {
    // Not Linux: keep the fixed default.
  }
  return Math.max(16, Math.min(DEFAULT_MAX_CONNECTIONS, Math.floor((limit * 3) / 4) - IN_FLIGHT_SLACK));
}

/**
 * Answer bytes not yet taken by the kernel. `writableLength` alone moves only when a whole write
 * completes, and one write can be a 16 MiB bundle; libuv's write queue size moves with every
 * partial write, so a client that reads slowly is seen to make progress.
 */
function unsentBytes(socket: Socket): number {
  const queued = (socket as unknown as { _handle?: { writeQueueSize?: number } })._handle?.writeQueueSize;
  return socket.writableLength + (typeof queued === 'number' ? queued : 0);
}

export interface ConnectionGuard {
  /** Open connections and how many were closed to make room or for silence (for tests and metrics). */
  stats(): { open: number; evicted: number; silentClosed: number; pipelineClosed: number; stalledClosed: number };
  /** Stops the sweep and closes the silent connections (server.close() would wait for them). */
  stop(): void;
}

export function guardConnections(server: Server, limits: ConnectionLimits = {}): ConnectionGuard {
  const max = limits.maxConnections ?? defaultMaxConnections();
  const firstRequestMs = limits.firstRequestMs ?? DEFAULT_FIRST_REQUEST_MS;
  // Requests in flight per open connection (HTTP/1.1 pipelining can make it more than one).
  const inFlight = new Map<Socket, number>();
  // Idle connections, each Set in the order they became idle, so the first is the one idle longest:
  // `silent` have sent no request yet (with when they connected), `between` are kept alive between
  // requests. Room is made from `silent` first: a client that has spoken is likelier to be real.
  const silent = new Map<Socket, number>();
  const between = new Set<Socket>();
  let evicted = 0;
  let silentClosed = 0;
  let pipelineClosed = 0;
  let stalledClosed = 0;
  // Connections with unsent answer bytes: how many were pending, and since when unchanged.
  const pending = new Map<Socket, { bytes: number; since: number }>();
  const stalledWriteMs = limits.stalledWriteMs ?? DEFAULT_STALLED_WRITE_MS;
  server.maxConnections = max + IN_FLIGHT_SLACK;

  const forget = (socket: Socket): void => {
    inFlight.delete(socket);
    pending.delete(socket);
    silent.delete(socket);
    between.delete(socket);
  };

  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    silent.set(socket, Date.now());
    socket.once('close', () => forget(socket));
    // Make room: close the longest-idle connections (never this new one, the newest silent one).
    while (inFlight.size > max) {
      const oldest = (silent.keys().next().value ?? between.values().next().value) as Socket | undefined;
      if (oldest === undefined || oldest === socket) break;
      forget(oldest);
      evicted++;
      oldest.destroy();
    }
  });

  // Requests pass through here before the app: a request refused here never reaches it. Node parses
  // every request already received on a connection even after it is destroyed, so the app's
  // listener is wrapped rather than merely preceded.
  const app = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const n = inFlight.get(socket);
    if (n === undefined || socket.destroyed) {
      res.destroy();
      return;
    }
    if (n >= MAX_PENDING_REQUESTS_PER_CONNECTION) {
      forget(socket);
      pipelineClosed++;
      socket.destroy();
      return;
    }
    inFlight.set(socket, n + 1);
    silent.delete(socket);
    between.delete(socket);
    res.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (!inFlight.has(socket) || socket.destroyed) return;
      inFlight.set(socket, left);
      if (left === 0) between.add(socket);
    });
    for (const listener of app) listener(req, res);
  });

  // Close connections silent since they connected for longer than firstRequestMs; `silent` is in
  // connection order, so the sweep stops at the first one still young enough.
  // Also close connections whose unsent answer bytes have not changed for stalledWriteMs.
  const sweep = setInterval(
    () => {
      const now = Date.now();
      const cutoff = now - firstRequestMs;
      for (const [socket, since] of silent) {
        if (since > cutoff) break;
        forget(socket);
        silentClosed++;
        socket.destroy();
      }
      for (const [socket, n] of inFlight) {
        const bytes = unsentBytes(socket);
        const last = pending.get(socket);
        if (n === 0 || bytes === 0) pending.delete(socket);
        else if (last === undefined || last.bytes !== bytes) pending.set(socket, { bytes, since: now });
        else if (now - last.since >= stalledWriteMs) {
          forget(socket);
          stalledClosed++;
          socket.destroy();
        }
      }
    },
    Math.max(50, Math.min(1000, firstRequestMs / 4, stalledWriteMs / 4)),
  );
  sweep.unref();

  return {
    stats: () => ({ open: inFlight.size, evicted, silentClosed, pipelineClosed, stalledClosed }),
    stop: () => {
      clearInterval(sweep);
      for (const socket of [...silent.keys()]) {
        forget(socket);
        socket.destroy();
      }
    },
  };
}
