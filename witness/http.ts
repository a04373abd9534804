/**
 * The witness's HTTP interface (C2SP tlog-witness plus fleetlog's evidence endpoints):
 *   POST /add-checkpoint                     the protocol; statuses in http-status.ts
 *   GET  /<hex sha256(origin)>/checkpoint    latest cosigned checkpoint (log signature + ours)
 *   GET  /evidence, /evidence/<hex sha256(origin)>   split-view evidence (specs/witness-evidence.md)
 *   GET  /logs                               the logs it cosigns: origin, keys, latest size and time
 *   GET  /, /assets/*                        the witness's page (explorer/witness), if built
 *   GET  /health, /metrics
 */
import { noSniff } from '../service/no-sniff.ts';
import { Hono, type Context } from 'hono';
import { FleetlogError } from '../core/errors.ts';
import { joinSplitViewEvidenceList } from '../core/split-view-evidence.ts';
import { MAX_ADD_CHECKPOINT_BYTES } from '../core/witness-request.ts';
import { readBodyCapped } from '../service/body.ts';
import { registerPage, type Page } from '../service/static-pages.ts';
import { errorResponse } from '../service/http-errors.ts';
import type { Logger } from '../service/logger.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../service/metrics.ts';
import { FLEETLOG_VERSION } from '../service/version.ts';
import { CLOCK_TOLERANCE_SECONDS, addCheckpoint, type WitnessCore } from './add-checkpoint.ts';
import { readFailed } from './check.ts';
import { witnessErrorResponse } from './http-status.ts';
import type { WitnessReads } from './reads.ts';
import type { WitnessMetrics } from './metrics.ts';

const ORIGIN_HASH = /^[0-9a-f]{64}$/;
const TEXT = 'text/plain; charset=utf-8';

/**
 * The store's reads, with a failed one (the database unreachable) turned into a 503 whose message
 * names nothing internal; the cause goes to the log, at most a line a minute.
 */
function failingAsUnavailable(store: WitnessReads): WitnessReads {
  const guard =
    <A extends unknown[], R>(read: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      read(...args).catch((e: unknown) => {
        throw e instanceof FleetlogError ? e : readFailed(e);
      });
  return {
    cosignedNote: guard(store.cosignedNote.bind(store)),
    knowsOriginHash: guard(store.knowsOriginHash.bind(store)),
    evidence: guard(store.evidence.bind(store)),
    healthy: guard(store.healthy.bind(store)),
    evidenceCounts: guard(store.evidenceCounts.bind(store)),
    newestCosignatureTime: guard(store.newestCosignatureTime.bind(store)),
    listLogs: guard(store.listLogs.bind(store)),
    logCount: () => store.logCount(),
    reachable: () => store.reachable(),
  };
}

export function createWitnessApp(core: WitnessCore, metrics: WitnessMetrics, logger: Logger, page?: Page): Hono {
  const app = new Hono();
  app.use(noSniff);
  const store = failingAsUnavailable(core.store);
  registerPage(app, page, "the witness's page");
  metrics.logs.set(() => store.logCount());
  metrics.registry
    .gauge('fleetlog_witness_database_up', '1 while the last probe of the database (every 10 s, and /health) succeeded')
    .set(() => (store.reachable() ? 1 : 0));
  metrics.registry
    .gauge('fleetlog_witness_writes_failing', '1 while commits fail (nothing new is cosigned or stored), else 0')
    .set(() => (core.writer.healthy() ? 0 : 1));

  app.post('/add-checkpoint', async (c) => {
    const started = performance.now();
    let status = 200;
    try {
      const body = await readBodyCapped(c, MAX_ADD_CHECKPOINT_BYTES);
      const result = await addCheckpoint(core, body);
      logger.debug('cosigned', {
        origin: result.checkpoint.origin,
        size: result.checkpoint.size,
        timestamp: result.timestamp,
      });
      return c.body(result.cosignatures, 200, { 'Content-Type': TEXT });
    } catch (e) {
      const response = witnessErrorResponse(c, e, logger);
      status = response.status;
      // Anyone can send junk: refusals are debug lines, plus at most one info line per status a
      // minute (with the count suppressed), so a flood cannot fill the operator's disk. A stale
      // old size is routine (logs probe with old 0) and stays at debug.
      if (e instanceof FleetlogError && status < 500) {
        const fields = { status, code: e.code, reason: e.message };
        logger.debug('add-checkpoint refused', fields);
        if (e.code !== 'conflict') core.throttle.log('info', `refused ${status}`, 'add-checkpoint refused', fields);
      } else if (e instanceof FleetlogError && status === 503 && e.detail?.cause !== undefined) {
        // The cause the client was not told (e.g. the database is unreachable); at most a line a minute.
        core.throttle.log('error', 'state unreadable', 'add-checkpoint could not read the state', {
          cause: e.detail.cause,
        });
      }
      return response;
    } finally {
      metrics.requests.inc({ status: String(status) });
      metrics.latency.observe((performance.now() - started) / 1000);
    }
  });
  app.all('/add-checkpoint', (c) => {
    c.header('Allow', 'POST');
    return errorResponse(c, 'usage', 'add-checkpoint takes POST', 405);
  });

  // One row per configured log (an operator's list, not attacker-grown), read from the database.
  app.get('/logs', async (c) =>
    c.json(
      {
        witness: core.vkey,
        logs: (await store.listLogs()).map((l) => ({
          origin: l.origin,
          originHash: l.originHash,
          vkeys: l.vkeys,
          size: l.treeSize ?? null,
          timestamp: l.lastTimestamp ?? null,
        })),
      },
      200,
      { 'Cache-Control': 'no-cache' },
    ),
  );

  app.get('/evidence', (c) => evidenceList(c, undefined));
  app.get('/evidence/:hash', async (c) => {
    const hash = c.req.param('hash');
    if (!ORIGIN_HASH.test(hash))
      return errorResponse(c, 'usage', 'expected /evidence/<lowercase hex SHA-256 of the origin>', 400);
    if (!(await store.knowsOriginHash(hash)))
      return errorResponse(c, 'not_found', 'this witness knows no log with that origin hash', 404);
    return evidenceList(c, hash);
  });

  app.get('/:hash/checkpoint', async (c) => {
    const hash = c.req.param('hash');
    if (!ORIGIN_HASH.test(hash)) return errorResponse(c, 'not_found', 'not found', 404);
    const note = await store.cosignedNote(hash);
    if (note === undefined)
      return errorResponse(c, 'not_found', 'this witness has not cosigned a checkpoint for that origin', 404);
    return c.body(note, 200, { 'Content-Type': TEXT, 'Cache-Control': 'no-cache' });
  });

  // 503 while the witness cannot commit (writer thread gone, or its last commit failed, e.g. a
  // full disk), so a supervisor or load balancer acts; 200 with status "split-view" while it holds
  // proven split-view evidence (the witness works, the log it watches does not), or "clock-behind"
  // while its clock is behind a cosignature it already issued (it then keeps cosigning with that
  // newer time, so its cosignatures are dated in its own future and verifiers may refuse them).
  app.get('/health', async (c) => {
    let evidence: { proven: number; unproven: number } | undefined;
    let newest: number | undefined;
    let readable = false;
    try {
      const pinged = await store.healthy();
      evidence = await store.evidenceCounts();
      newest = await store.newestCosignatureTime();
      readable = pinged; // only once every read has worked
    } catch (e) {
      core.throttle.log('error', 'health check failed', 'health check failed', { error: String(e) });
    }
    const writes = core.writer.healthy() ? 'ok' : 'failing';
    const ok = readable && writes === 'ok';
    const clockBehindSeconds = Math.max(0, (newest ?? 0) - Math.floor(core.clock() / 1000));
    const status = !ok
      ? 'unavailable'
      : (evidence?.proven ?? 0) > 0
        ? 'split-view'
        : clockBehindSeconds > CLOCK_TOLERANCE_SECONDS
          ? 'clock-behind'
          : 'ok';
    return c.json(
      {
        status,
        version: FLEETLOG_VERSION,
        witness: core.vkey,
        writes,
        database: readable ? 'ok' : 'unreachable',
        evidence: evidence ?? null,
        // With --threads: a checking worker that died or was stopped as stuck shows as a restart.
        checkingWorkers: core.checker.status?.() ?? null,
        clockBehindSeconds,
      },
      ok ? 200 : 503,
    );
  });

  app.get('/metrics', (c) => c.body(metrics.registry.render(), 200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE }));

  app.notFound((c) => errorResponse(c, 'not_found', 'not found', 404));
  app.onError((err, c) => {
    if (err instanceof FleetlogError && err.detail?.cause !== undefined)
      core.throttle.log('error', 'state unreadable', 'a read of the state failed', { cause: err.detail.cause });
    return witnessErrorResponse(c, err, logger);
  });

  // The stored documents are the witness's own formatSplitViewEvidence output: served as they are.
  // (Parsing them again would also refuse a legitimate one that JSON escaping took over the
  // single-document cap, and with it the whole list.)
  async function evidenceList(c: Context, hash: string | undefined): Promise<Response> {
    const documents = (await store.evidence(hash)).map((row) => row.document);
    return c.body(joinSplitViewEvidenceList(documents), 200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache',
    });
  }

  return app;
}
