/**
 * Opening a log for serving: take the writer lock, open storage, check the key, parse the policy,
 * recover the frontier, then wire the sequencer, witnessing and HTTP app together. `close()` drains
 * in order: HTTP (in-flight requests finish), sequencer (queued batches commit), witnessing, storage.
 */
import type { Hono } from 'hono';
import { FleetlogError } from '../core/errors.ts';
import { logForOrigin, parsePolicy, type Policy } from '../core/policy/policy.ts';
import { ed25519NoteSigner } from '../core/note/verifiers.ts';
import { createLogger, type Logger } from '../service/logger.ts';
import { startHttpServer, type RunningServer } from '../service/serve.ts';
import { defaultPagesDir, loadPage } from '../service/static-pages.ts';
import { acquireWriterLock, dbPath, loadSigningKey, requireLogDir } from './data-dir.ts';
import { registerHealthMetrics } from './health-metrics.ts';
import { FLEETLOG_VERSION } from '../service/version.ts';
import { createLogApp } from './http/app.ts';
import { createLogMetrics } from './metrics.ts';
import { ProofService } from './proofs.ts';
import { recoverFrontier } from './recover.ts';
import { StaticPublisher } from './publish/static-publisher.ts';
import { Sequencer } from './sequencer.ts';
import type { LogService } from './service.ts';
import { SqliteLogStorage } from './storage/sqlite-storage.ts';
import { TileReader } from './tile-reader.ts';
import { ValidationPool } from './validation/pool.ts';
import { Witnessing } from './witnessing/witnessing.ts';

export interface LogServerOptions {
  readonly dataDir: string;
  readonly host?: string;
  readonly port?: number;
  /** Trust policy text: witnesses (with URLs) and quorum, publisher and countersigner keys. */
  readonly policyText?: string;
  readonly logger?: Logger;
  /** Most entries integrated under one checkpoint (default 1024). */
  readonly batchMaxSize?: number;
  /** Longest a submission waits for others to share its batch (default 2 ms). */
  readonly batchMaxWaitMs?: number;
  /** Queued submissions beyond this are answered 503 (default 16384). */
  readonly maxPending?: number;
  readonly witnessTimeoutMs?: number;
  readonly witnessRetryBaseMs?: number;
  readonly witnessRetryMaxMs?: number;
  /** How often an unchanged tree is re-sent to witnesses for fresh cosignatures (default 60 s; 0 = never). */
  readonly witnessRefreshIntervalMs?: number;
  /** Worker threads that check entries (signatures, canonical form); 0 checks on the main thread (default 0). */
  readonly validationWorkers?: number;
  /** Commit batches on a writer thread so fsync never blocks serving (default false: it costs ~10-15 MB RSS). */
  readonly writerThread?: boolean;
  /** Adds the benchmark's baseline routes (/bench/noop, /bench/static). */
  readonly benchRoutes?: boolean;
  readonly fetch?: typeof fetch;
  /** Keep this directory a static copy of the read API (log-server/publish/static-publisher.ts). */
  readonly publishDir?: string;
  /** How long obsolete partial tiles stay in `publishDir` (default 10 minutes). */
  readonly publishPartialGraceMs?: number;
  /** The built explorer page served at / (default: dist/pages/log if built; false: none). */
  readonly pagesDir?: string | false;
}

export interface OpenLog {
  readonly app: Hono;
  readonly service: LogService;
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
  const logger = options.logger ?? createLogger('log-server');
  requireLogDir(options.dataDir);
  const release = acquireWriterLock(options.dataDir);
  let storage: SqliteLogStorage | undefined;
  let validator: ValidationPool | undefined;
  let publisher: StaticPublisher | undefined;
  try {
    storage = options.writerThread
      ? await SqliteLogStorage.openWithWriterThread(dbPath(options.dataDir))
      : SqliteLogStorage.open(dbPath(options.dataDir));
    const head = await storage.head();
    const key = loadSigningKey(options.dataDir, head.vkey);
    const policy = loadPolicy(options.policyText, head.origin, head.vkey);
    const frontier = await recoverFrontier(storage, head);
    const metrics = createLogMetrics();
    const proofs = new ProofService(storage);
    // The tree size, for which partial bundle is worth gzipping (the sequencer is made below).
    const tiles = new TileReader(storage, { treeSize: () => sequencer.latest.size });
    if (options.publishDir !== undefined)
      publisher = await StaticPublisher.open({
        dir: options.publishDir,
        origin: head.origin,
        vkey: head.vkey,
        storage,
        tiles,
        proofs,
        published: () => witnessing.published(),
        logger: logger.child('publisher'),
        metrics,
        ...(options.publishPartialGraceMs !== undefined ? { partialGraceMs: options.publishPartialGraceMs } : {}),
      });
    const staticCopy = publisher;
    const witnessing = new Witnessing({
      storage,
      proofs,
      policy,
      logger: logger.child('witnessing'),
      metrics,
      ...(options.witnessTimeoutMs !== undefined ? { timeoutMs: options.witnessTimeoutMs } : {}),
      ...(options.witnessRetryBaseMs !== undefined ? { retryBaseMs: options.witnessRetryBaseMs } : {}),
      ...(options.witnessRetryMaxMs !== undefined ? { retryMaxMs: options.witnessRetryMaxMs } : {}),
      ...(options.witnessRefreshIntervalMs !== undefined
        ? { refreshIntervalMs: options.witnessRefreshIntervalMs }
        : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(staticCopy ? { onPublish: () => staticCopy.notify() } : {}),
    });
    const sequencer = new Sequencer({
      storage,
      proofs,
      origin: head.origin,
      signer: ed25519NoteSigner(key),
      frontier,
      latest: head.checkpoint,
      maxBatchSize: options.batchMaxSize ?? 1024,
      maxWaitMs: options.batchMaxWaitMs ?? 2,
      maxPending: options.maxPending ?? 16384,
      logger: logger.child('sequencer'),
      metrics,
      onCheckpoint: (cp) => witnessing.onCheckpoint(cp),
    });
    await witnessing.start(head.checkpoint, head.publishedSize);
    staticCopy?.notify(); // catch up with the checkpoint published before this start
    const keys = { publishers: policy?.publishers ?? [], countersigners: policy?.countersigners ?? [] };
    if (keys.publishers.length === 0)
      logger.warn(
        'no fleetlog publisher/countersigner keys configured: fleet-keyset entries will be refused (pass --policy)',
      );
    validator = await ValidationPool.start(keys, options.validationWorkers ?? 0);
    const service: LogService = {
      origin: head.origin,
      vkey: head.vkey,
      storage,
      sequencer,
      witnessing,
      proofs,
      tiles,
      publisher: staticCopy,
      metrics,
      logger,
      validator,
      ...(options.policyText !== undefined ? { policyText: options.policyText } : {}),
    };
    registerHealthMetrics(service);
    const page = options.pagesDir === false ? undefined : loadPage(options.pagesDir ?? defaultPagesDir('log'));
    const app = createLogApp(service, { benchRoutes: options.benchRoutes ?? false, ...(page ? { page } : {}) });
    logger.info('log opened', {
      version: FLEETLOG_VERSION,
      origin: head.origin,
      size: head.checkpoint.size,
      publishedSize: witnessing.published()?.size ?? null,
    });
    const opened = storage;
    const pool = validator;
    let closing: Promise<void> | undefined;
    return {
      app,
      service,
      close() {
        closing ??= (async () => {
          try {
            await sequencer.close();
            await witnessing.close();
            await staticCopy?.close();
            await pool.close();
          } finally {
            await opened.close();
            release();
          }
        })();
        return closing;
      },
    };
  } catch (e) {
    await publisher?.close();
    await validator?.close();
    await storage?.close();
    release();
    throw e;
  }
}

/** `log serve` in-process: opens the log and serves it over HTTP until `close()`. */
export async function startLogServer(options: LogServerOptions): Promise<RunningServer> {
  const log = await openLog(options);
  try {
    return await startHttpServer(log.app, { host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, () =>
      log.close(),
    );
  } catch (e) {
    await log.close();
    throw e;
  }
}
