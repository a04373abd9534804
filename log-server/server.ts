/**
 * Opening a log for serving: take the writer lock (SQLite) or join the processes on the database
 * (PostgreSQL), open storage, check the key, parse the policy, recover the frontier, then wire the
 * sequencer, witnessing and HTTP app together. `close()` drains in order: HTTP (in-flight requests
 * finish), sequencer (queued batches commit), witnessing, storage.
 */
import type { Hono } from 'hono';
import { FleetlogError } from '../core/errors.ts';
import { logForOrigin, parsePolicy, type Policy } from '../core/policy/policy.ts';
import { createLogger, type Logger } from '../service/logger.ts';
import { isPostgresUrl } from '../service/postgres.ts';
import { startHttpServer, type RunningServer } from '../service/serve.ts';
import { defaultPagesDir, loadPage } from '../service/static-pages.ts';
import { acquireWriterLock, dbPath, loadSigningKey, requireLogDir } from './data-dir.ts';
import { registerHealthMetrics } from './health-metrics.ts';
import { FLEETLOG_VERSION } from '../service/version.ts';
import { createLogApp } from './http/app.ts';
import { createLogMetrics } from './metrics.ts';
import { ProofService } from './proofs.ts';
import { ClusterNode } from './cluster/cluster-node.ts';
import {
  startLeading,
  type LeaderContext,
  type LeaderTuning,
  type Leading,
  type LeadershipListener,
} from './leadership.ts';
import type { Appender, ClusterStatus, LogService, Publication } from './service.ts';
import { PgLogStorage } from './storage/pg-storage.ts';
import type { StaticPublisher } from './static-publisher.ts';
import { SqliteLogStorage } from './storage/sqlite-storage.ts';
import type { LogHead, LogStorage } from './storage/storage.ts';
import { TileReader } from './tile-reader.ts';
import { ValidationPool } from './validation/pool.ts';

export interface LogServerOptions extends LeaderTuning {
  /** Holds the signing key `log.key` and, without `database`, the SQLite database. */
  readonly dataDir: string;
  /** A postgres:// URL: the log lives there and several processes may serve it (default: SQLite in dataDir). */
  readonly database?: string;
  /** PostgreSQL: the leader lease's duration in ms (default 3000). */
  readonly leaseMs?: number;
  /** PostgreSQL: the URL other processes forward submissions to while this one leads (default: the listening URL). */
  readonly advertiseUrl?: string;
  /** Hears when this process starts and stops leading and of every checkpoint it commits or publishes. */
  readonly leadership?: LeadershipListener;
  readonly host?: string;
  readonly port?: number;
  /** Trust policy text: witnesses (with URLs) and quorum, publisher and countersigner keys. */
  readonly policyText?: string;
  readonly logger?: Logger;
  /** Worker threads that check entries (signatures, canonical form); 0 checks on the main thread (default 0). */
  readonly validationWorkers?: number;
  /** A validation worker that holds an entry this long is stuck: it is replaced, the entry answered 503 (default 10 s). */
  readonly validationTimeoutMs?: number;
  /** Commit batches on a writer thread so fsync never blocks serving (default false: it costs ~10-15 MB RSS). */
  readonly writerThread?: boolean;
  /** Adds the benchmark's baseline routes (/bench/noop, /bench/static). */
  readonly benchRoutes?: boolean;
  /**
   * Keep this directory a static copy of the read API (log-server/static-publisher.ts).
   * On PostgreSQL only the leader writes it, from taking the lease until losing it.
   */
  readonly publishDir?: string;
  /** How long obsolete partial tiles stay in `publishDir` (default 10 minutes). */
  readonly publishPartialGraceMs?: number;
  /** The built explorer page served at / (default: dist/pages/log if built; false: none). */
  readonly pagesDir?: string | false;
}

export interface OpenLog {
  readonly app: Hono;
  readonly service: LogService;
  /** On PostgreSQL: this process's place among the servers; call `start(url)` to compete for the lease. */
  readonly cluster?: ClusterNode;
  /** Drains the sequencer and witnessing and closes storage (not the HTTP server). */
  close(): Promise<void>;
}

/**
 * The policy a log serves under must be about this log: if it has `log` lines, one of them must be
 * this log's origin with this log's key. A policy for another log (a copy-paste slip) would make
 * the log ask witnesses to cosign under a trust root no client holds.
 */
function loadPolicy(text: string | undefined, origin: string, vkey: string): Policy | undefined {
  if (text === undefined) return undefined;
  const policy = parsePolicy(text);
  const named = logForOrigin(policy, origin);
  if (named && named.verifier.key.vkey !== vkey) {
    throw new FleetlogError(
      'bad_policy',
      `the policy pins a different key for log ${origin} (${named.verifier.key.vkey}) than this log's ${vkey}`,
    );
  }
  if (!named && policy.logs.length > 0) {
    throw new FleetlogError(
      'bad_policy',
      `the policy's log line names ${policy.logs.map((l) => l.verifier.name).join(', ')}, not this log (${origin}, ${vkey})`,
    );
  }
  return policy;
}

/** Opens a log for serving without listening on a socket (tests use `app.request`). */
export async function openLog(options: LogServerOptions): Promise<OpenLog> {
  return isPostgresUrl(options.database) ? openClusterLog(options, options.database) : openSqliteLog(options);
}

/** The parts every process has, leader or not: validation, proofs, tiles, the HTTP app. */
async function serveParts(
  options: LogServerOptions,
  logger: Logger,
  head: LogHead,
  storage: LogStorage,
  policy: Policy | undefined,
  writer: (ctx: LeaderContext) => Promise<{
    sequencer: Appender;
    witnessing: Publication;
    /** The static publisher, while this process runs one (the leader, with --publish-dir). */
    publisher: () => StaticPublisher | undefined;
    cluster?: () => ClusterStatus;
  }>,
  /** What the writer reads and writes through (PostgreSQL: its own pool, so reads cannot starve it). */
  writerStorage: LogStorage = storage,
): Promise<{ app: Hono; service: LogService; validator: ValidationPool }> {
  const key = loadSigningKey(options.dataDir, head.vkey);
  const metrics = createLogMetrics();
  const proofs = new ProofService(storage);
  // The tree size: a bundle is gzipped at the widest width it has (the writer is made below).
  let appender: Appender | undefined;
  const tiles = new TileReader(storage, { treeSize: () => appender?.latest.size ?? head.checkpoint.size });
  const ctx: LeaderContext = {
    storage: writerStorage,
    proofs: writerStorage === storage ? proofs : new ProofService(writerStorage),
    tiles,
    policy,
    key,
    logger,
    metrics,
    tuning: options,
    ...(options.leadership ? { listener: options.leadership } : {}),
    ...(options.publishDir !== undefined
      ? {
          publish: {
            dir: options.publishDir,
            ...(options.publishPartialGraceMs !== undefined ? { partialGraceMs: options.publishPartialGraceMs } : {}),
          },
        }
      : {}),
  };
  const parts = await writer(ctx);
  appender = parts.sequencer;
  const keys = { publishers: policy?.publishers ?? [], countersigners: policy?.countersigners ?? [] };
  if (keys.publishers.length === 0)
    logger.warn(
      'no fleetlog publisher/countersigner keys configured: fleet-keyset entries will be refused (pass --policy)',
    );
  const validator = await ValidationPool.start(keys, options.validationWorkers ?? 0, {
    ...(options.validationTimeoutMs !== undefined ? { callTimeoutMs: options.validationTimeoutMs } : {}),
    logger,
  });
  const service: LogService = {
    origin: head.origin,
    vkey: head.vkey,
    storage,
    sequencer: parts.sequencer,
    witnessing: parts.witnessing,
    proofs,
    tiles,
    get publisher() {
      return parts.publisher();
    },
    metrics,
    logger,
    validator,
    ...(options.policyText !== undefined ? { policyText: options.policyText } : {}),
    ...(parts.cluster ? { cluster: parts.cluster } : {}),
  };
  registerHealthMetrics(service);
  const page = options.pagesDir === false ? undefined : loadPage(options.pagesDir ?? defaultPagesDir('log'));
  const app = createLogApp(service, { benchRoutes: options.benchRoutes ?? false, ...(page ? { page } : {}) });
  return { app, service, validator };
}

async function openSqliteLog(options: LogServerOptions): Promise<OpenLog> {
  const logger = options.logger ?? createLogger('log-server');
  requireLogDir(options.dataDir);
  const release = acquireWriterLock(options.dataDir);
  let storage: SqliteLogStorage | undefined;
  let leading: Leading | undefined;
  try {
    storage = options.writerThread
      ? await SqliteLogStorage.openWithWriterThread(dbPath(options.dataDir))
      : SqliteLogStorage.open(dbPath(options.dataDir));
    const head = await storage.head();
    const policy = loadPolicy(options.policyText, head.origin, head.vkey);
    const { app, service, validator } = await serveParts(options, logger, head, storage, policy, async (ctx) => {
      const lead = await startLeading(ctx, head);
      leading = lead;
      return { sequencer: lead.sequencer, witnessing: lead.witnessing, publisher: () => lead.publisher };
    });
    logger.info('log opened', {
      version: FLEETLOG_VERSION,
      origin: head.origin,
      size: head.checkpoint.size,
      publishedSize: service.witnessing.published()?.size ?? null,
    });
    const opened = storage;
    const lead = leading!;
    let closing: Promise<void> | undefined;
    return {
      app,
      service,
      close() {
        closing ??= (async () => {
          try {
            await lead.stop();
            await validator.close();
          } finally {
            await opened.close();
            release();
          }
        })();
        return closing;
      },
    };
  } catch (e) {
    await leading?.stop().catch(() => {});
    await storage?.close();
    release();
    throw e;
  }
}

/**
 * One of several processes on a PostgreSQL database (cluster/cluster-node.ts). It competes for the
 * leader lease once `start(url)` gives it the URL followers forward submissions to; startLogServer
 * does that right after listening.
 */
async function openClusterLog(options: LogServerOptions, url: string): Promise<OpenLog> {
  const logger = options.logger ?? createLogger('log-server');
  const storage = await PgLogStorage.open(url, { applicationName: 'fleetlog log serve' });
  const writer = storage.writerView();
  let node: ClusterNode | undefined;
  try {
    const head = await storage.head();
    const policy = loadPolicy(options.policyText, head.origin, head.vkey);
    const parts = await serveParts(
      options,
      logger,
      head,
      storage,
      policy,
      async (leader) => {
        node = new ClusterNode(
          {
            storage: writer,
            leader,
            policy,
            logger: logger.child('cluster'),
            ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
          },
          head.checkpoint,
        );
        const n = node;
        return { sequencer: n, witnessing: n, publisher: () => n.publisher, cluster: () => n.status() };
      },
      writer,
    );
    const { app, service, validator } = parts;
    logger.info('log opened on PostgreSQL', {
      version: FLEETLOG_VERSION,
      origin: head.origin,
      size: head.checkpoint.size,
    });
    const cluster = node!;
    let closing: Promise<void> | undefined;
    return {
      app,
      service,
      cluster,
      close() {
        closing ??= (async () => {
          try {
            await cluster.close();
            await validator.close();
          } finally {
            await storage.close();
          }
        })();
        return closing;
      },
    };
  } catch (e) {
    await node?.close().catch(() => {});
    await storage.close();
    throw e;
  }
}

/** `log serve` in-process: opens the log and serves it over HTTP until `close()`. */
export async function startLogServer(options: LogServerOptions): Promise<RunningServer> {
  const log = await openLog(options);
  try {
    const server = await startHttpServer(log.app, { host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, () =>
      log.close(),
    );
    await log.cluster?.start(options.advertiseUrl ?? server.url);
    return server;
  } catch (e) {
    await log.close();
    throw e;
  }
}
