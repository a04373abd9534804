/**
 * The witness's HTTP interface (C2SP tlog-witness plus fleetlog's evidence endpoints):
 *   POST /add-checkpoint                     the protocol; statuses in http-status.ts
 *   GET  /<hex sha256(origin)>/checkpoint    latest cosigned checkpoint (log signature + ours)
 *   GET  /evidence, /evidence/<hex sha256(origin)>   split-view evidence (specs/witness-evidence.md)
 *   GET  /logs                               the logs it cosigns: origin, keys, latest size and time
 *   GET  /, /assets/*                        the witness's page (explorer/witness), if built
 *   GET  /health, /metrics
 */
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
import { addCheckpoint, type WitnessCore } from './add-checkpoint.ts';
import { witnessErrorResponse } from './http-status.ts';
import type { WitnessMetrics } from './metrics.ts';

const ORIGIN_HASH = /^[0-9a-f]{64}$/;
const TEXT = 'text/plain; charset=utf-8';

export function createWitnessApp(core: WitnessCore, metrics: WitnessMetrics, logger: Logger, page?: Page): Hono {
  const app = new Hono();
  const { store } = core;
  registerPage(app, page, "the witness's page");
  metrics.logs.set(() => store.logCount());

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
  // proven split-view evidence (the witness works, the log it watches does not).
  app.get('/health', async (c) => {
    let evidence: { proven: number; unproven: number } | undefined;
    let readable = false;
    try {
      readable = await store.healthy();
      evidence = await store.evidenceCounts();
    } catch (e) {
      logger.error('health check failed', { error: String(e) });
    }
    const writes = core.writer.healthy() ? 'ok' : 'failing';
    const ok = readable && writes === 'ok';
    const status = !ok ? 'unavailable' : (evidence?.proven ?? 0) > 0 ? 'split-view' : 'ok';
    return c.json(
      {
        status,
        version: FLEETLOG_VERSION,
        witness: core.vkey,
        writes,
        evidence: evidence ?? null,
        // With --threads: a checking worker that died or was stopped as stuck shows as a restart.
        checkingWorkers: core.checker.status?.() ?? null,
      },
      ok ? 200 : 503,
    );
  });

  app.get('/metrics', (c) => c.body(metrics.registry.render(), 200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE }));

  app.notFound((c) => errorResponse(c, 'not_found', 'not found', 404));
  app.onError((err, c) => witnessErrorResponse(c, err, logger));

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
