/**
 * The witness's in-process API (the contract other components and tests use):
 *   initWitness   create the data directory: SQLite database and a 0600 cosigning key (type 0x04)
 *   addLog / removeLog / listLogs   which logs (origin + Ed25519 vkey) it cosigns for
 *   addLogAt / removeLogAt / listLogsAt   the same on a PostgreSQL witness database
 *   openWitness   the Hono app and core without a socket (for app.request tests); openPgWitness on PostgreSQL
 *   startWitness  the same, listening on HOST:PORT (SQLite, or PostgreSQL with `database`)
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { Hono } from 'hono';
import { cosignerFromKey } from '../core/cosignature.ts';
import { FleetlogError } from '../core/errors.ts';
import { KEY_TYPE_COSIGNATURE, generateKey, parseSignerKey } from '../core/note/keys.ts';
import { readKeyFile, writeKeyFile } from '../service/key-file.ts';
import { createLogThrottle } from '../service/log-throttle.ts';
import { createLogger, type Logger } from '../service/logger.ts';
import { startHttpServer, type RunningServer } from '../service/serve.ts';
import { defaultPagesDir, loadPage } from '../service/static-pages.ts';
import { openDatabase } from '../service/sqlite.ts';
import { isPostgresUrl } from '../service/postgres.ts';
import type { WitnessCore, WitnessHooks } from './add-checkpoint.ts';
import { inlineWriter, pgWriter, workerWriter } from './writer.ts';
import { createWitnessApp } from './http.ts';
import { assertOrigin, parseLogVkey } from './log-keys.ts';
import { defaultCheckThreads, inlineChecker, pgChecker, workerPoolChecker } from './check-pool.ts';
import { createWitnessMetrics, type WitnessMetrics } from './metrics.ts';
import { witnessPaths, type WitnessPaths } from './paths.ts';
import { createSchema } from './schema.ts';
import { PgWitnessStore } from './pg-store.ts';
import { sqliteReads } from './reads.ts';
import { WitnessStore, type LogSummary } from './store.ts';

export type { LogSummary } from './store.ts';
export type { WitnessHooks } from './add-checkpoint.ts';

export interface InitWitnessOptions {
  readonly dataDir: string;
  /** The witness's key name, e.g. witness.example/w1. */
  readonly name: string;
  /** A postgres:// URL: the state lives there instead of DIR/witness.db (DIR keeps the key). */
  readonly database?: string;
}

/**
 * Creates DIR/witness.db (or the PostgreSQL schema) and DIR/witness.key (0600). Refuses to touch
 * an existing witness. Further processes of the same witness get a copy of the key file.
 */
export async function initWitness(options: InitWitnessOptions): Promise<{ vkey: string }> {
  const paths = witnessPaths(options.dataDir);
  const { skey, vkey } = generateKey(options.name, KEY_TYPE_COSIGNATURE); // validates the name first
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  if (isPostgresUrl(options.database)) {
    if (existsSync(paths.key)) throw new FleetlogError('io', `refusing to overwrite the existing key ${paths.key}`);
    await PgWitnessStore.create(options.database, { name: options.name, vkey });
    writeKeyFile(paths.key, skey);
    return { vkey };
  }
  if (existsSync(paths.database))
    throw new FleetlogError('io', `refusing to overwrite the existing witness database ${paths.database}`);
  writeKeyFile(paths.key, skey);
  const db = openDatabase(paths.database);
  try {
    createSchema(db, { name: options.name, vkey });
  } finally {
    db.close();
  }
  return { vkey };
}

/** The paths of a witness `init` has created; refuses any other directory. */
function existingWitness(dataDir: string): WitnessPaths {
  const paths = witnessPaths(dataDir);
  if (!existsSync(paths.database))
    throw new FleetlogError('io', `no witness in ${dataDir}; run fleetlog witness init first`);
  return paths;
}

function withStore<T>(dataDir: string, body: (store: WitnessStore) => T): T {
  const store = WitnessStore.open(existingWitness(dataDir).database);
  try {
    return body(store);
  } finally {
    store.close();
  }
}

/** Trusts `vkey` (an Ed25519 note key, type 0x01) for checkpoints whose origin line is `origin`. */
export function addLog(options: { dataDir: string; origin: string; vkey: string }): void {
  assertOrigin(options.origin);
  const key = parseLogVkey(options.vkey);
  withStore(options.dataDir, (store) => store.addLogKey(options.origin, key.vkey, Math.floor(Date.now() / 1000)));
}

/**
 * Stops trusting every key for `origin`. The witness still remembers what it cosigned for it, so
 * adding the log again later resumes from there instead of starting over (no rollback).
 */
export function removeLog(options: { dataDir: string; origin: string }): void {
  const removed = withStore(options.dataDir, (store) => store.removeLog(options.origin));
  if (removed === 0)
    throw new FleetlogError('not_found', `the witness has no log with origin ${JSON.stringify(options.origin)}`);
}

export function listLogs(options: { dataDir: string }): LogSummary[] {
  return withStore(options.dataDir, (store) => store.listLogs());
}

/** The same three on a PostgreSQL witness database. */
async function withPgStore<T>(database: string, body: (store: PgWitnessStore) => Promise<T>): Promise<T> {
  const store = await PgWitnessStore.open(database);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

export async function addLogAt(options: { database: string; origin: string; vkey: string }): Promise<void> {
  assertOrigin(options.origin);
  const key = parseLogVkey(options.vkey);
  await withPgStore(options.database, (s) => s.addLogKey(options.origin, key.vkey, Math.floor(Date.now() / 1000)));
}

export async function removeLogAt(options: { database: string; origin: string }): Promise<void> {
  const removed = await withPgStore(options.database, (s) => s.removeLog(options.origin));
  if (removed === 0)
    throw new FleetlogError('not_found', `the witness has no log with origin ${JSON.stringify(options.origin)}`);
}

export async function listLogsAt(options: { database: string }): Promise<LogSummary[]> {
  return withPgStore(options.database, (s) => s.listLogs());
}

export interface OpenWitnessOptions {
  readonly dataDir: string;
  /**
   * A postgres:// URL (startWitness and openPgWitness): the witness's state lives there, and
   * several processes with the same key may serve it at once. Requests are judged on the main thread.
   */
  readonly database?: string;
  readonly logger?: Logger;
  /** Milliseconds since the epoch; cosignature timestamps come from here (default Date.now). */
  readonly clock?: () => number;
  readonly hooks?: WitnessHooks;
  /**
   * Worker threads that judge requests (parse, verify the log signature, decide, cosign), plus
   * one writer thread for the commits; 0 does everything on the main thread. openWitness
   * defaults to 0 (cheap to start, for tests); startWitness to one checker per core.
   */
  readonly threads?: number;
  /** The built page served at / (default: dist/pages/witness if built; false: none). */
  readonly pagesDir?: string | false;
}

export interface OpenWitness {
  readonly app: Hono;
  readonly name: string;
  readonly vkey: string;
  /** Resolves once the worker threads (if any) are loaded; requests before that just wait. */
  readonly ready: Promise<void>;
  /** Waits for pending commits and closes the database. */
  close(): Promise<void>;
}

export function openWitness(options: OpenWitnessOptions): OpenWitness {
  const paths = existingWitness(options.dataDir);
  const key = parseSignerKey(readKeyFile(paths.key));
  const store = WitnessStore.open(paths.database);
  try {
    if (key.type !== KEY_TYPE_COSIGNATURE)
      throw new FleetlogError('bad_key', `${paths.key} is not a cosigner key (type 0x04)`);
    if (store.meta('vkey') !== key.vkey)
      throw new FleetlogError('bad_key', `${paths.key} does not match the key this witness was created with`);
  } catch (e) {
    store.close();
    throw e;
  }
  const logger = options.logger ?? createLogger('witness');
  const clock = options.clock ?? Date.now;
  const metrics = createWitnessMetrics({
    cosignatureTimes: () => store.cosignatureTimes(),
    evidenceCounts: () => store.evidenceCounts(),
    clock,
  });
  const onBatch = (n: number): void => metrics.commitBatch.observe(n);
  const threads = options.threads ?? 0;
  const checker =
    threads > 0
      ? workerPoolChecker(threads, { databasePath: paths.database, keyPath: paths.key }, logger)
      : inlineChecker(store, cosignerFromKey(key));
  const writer = threads > 0 ? workerWriter(paths.database, logger, onBatch) : inlineWriter(store, logger, onBatch);
  return assembleWitness({
    key,
    store: sqliteReads(store),
    writer,
    checker,
    metrics,
    logger,
    clock,
    options,
    ready: Promise.all([checker.ready, writer.ready]).then(() => undefined),
    close: () =>
      writer
        .close()
        .then(() => checker.close())
        .then(() => store.close()),
  });
}

export interface StartWitnessOptions extends OpenWitnessOptions {
  readonly host?: string;
  readonly port?: number;
}

export interface RunningWitness extends RunningServer {
  readonly vkey: string;
}

/** openWitness on a PostgreSQL database (options.database). */
export async function openPgWitness(options: OpenWitnessOptions & { database: string }): Promise<OpenWitness> {
  const key = parseSignerKey(readKeyFile(witnessPaths(options.dataDir).key));
  if (key.type !== KEY_TYPE_COSIGNATURE)
    throw new FleetlogError('bad_key', `${witnessPaths(options.dataDir).key} is not a cosigner key (type 0x04)`);
  const store = await PgWitnessStore.open(options.database);
  try {
    if ((await store.meta('vkey')) !== key.vkey)
      throw new FleetlogError('bad_key', 'the key file does not match the key this witness database was created with');
  } catch (e) {
    await store.close();
    throw e;
  }
  const logger = options.logger ?? createLogger('witness');
  const clock = options.clock ?? Date.now;
  // The gauges read synchronously: the store keeps recent figures at hand (pg-store.ts).
  const metrics = createWitnessMetrics({
    cosignatureTimes: () => store.recentCosignatureTimes(),
    evidenceCounts: () => store.recentEvidenceCounts(),
    clock,
  });
  const writer = pgWriter(store, logger, (n) => metrics.commitBatch.observe(n));
  const checker = pgChecker(store, cosignerFromKey(key));
  return assembleWitness({
    key,
    store,
    writer,
    checker,
    metrics,
    logger,
    clock,
    options,
    ready: Promise.resolve(),
    close: () => writer.close().then(() => store.close()),
  });
}

/** What both stores share: the witness core, its HTTP app and page, and an idempotent close. */
function assembleWitness(parts: {
  key: { readonly name: string; readonly vkey: string };
  store: WitnessCore['store'];
  writer: WitnessCore['writer'];
  checker: WitnessCore['checker'];
  metrics: WitnessMetrics;
  logger: Logger;
  clock: () => number;
  options: OpenWitnessOptions;
  ready: Promise<void>;
  close: () => Promise<void>;
}): OpenWitness {
  const { key, metrics, logger, options } = parts;
  const core = {
    store: parts.store,
    writer: parts.writer,
    checker: parts.checker,
    vkey: key.vkey,
    clock: parts.clock,
    logger,
    throttle: createLogThrottle(logger),
    hooks: options.hooks,
    events: {
      splitView: (_origin: string, stored: boolean, proven: boolean) =>
        metrics.splitViews.inc({ stored: String(stored), proven: String(proven) }),
      casLost: () => metrics.casLost.inc(),
    },
  };
  const page = options.pagesDir === false ? undefined : loadPage(options.pagesDir ?? defaultPagesDir('witness'));
  const app = createWitnessApp(core, metrics, logger, page);
  let closed: Promise<void> | undefined;
  return {
    app,
    name: key.name,
    vkey: key.vkey,
    ready: parts.ready,
    close() {
      closed ??= parts.close();
      return closed;
    },
  };
}

export async function startWitness(options: StartWitnessOptions): Promise<RunningWitness> {
  const witness = isPostgresUrl(options.database)
    ? await openPgWitness({ ...options, database: options.database })
    : openWitness({ ...options, threads: options.threads ?? defaultCheckThreads() });
  try {
    await witness.ready; // listen only once requests can be served at full speed
    const server = await startHttpServer(
      witness.app,
      { host: options.host ?? '127.0.0.1', port: options.port ?? 0 },
      () => witness.close(),
    );
    return {
      url: server.url,
      port: server.port,
      connections: server.connections,
      close: () => server.close(),
      vkey: witness.vkey,
    };
  } catch (e) {
    await witness.close();
    throw e;
  }
}
