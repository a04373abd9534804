/**
 * Operations: /health (JSON: sizes, checkpoint ages, each witness's status) and /metrics
 * (Prometheus text). With `benchRoutes`, also the baselines the benchmark compares against on the
 * same server: POST /bench/noop (reads the body, answers {}) and GET /bench/static (8 KiB buffer).
 */
import type { Hono } from 'hono';
import { MAX_ENTRY_BYTES } from '../../core/entry-bundle.ts';
import { readBodyCapped } from '../../service/body.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../../service/metrics.ts';
import { FLEETLOG_VERSION } from '../../service/version.ts';
import type { LogService } from '../service.ts';
import { bytesResponse, IMMUTABLE, jsonResponse, NO_CACHE, OCTET_STREAM } from './responses.ts';

const HEALTHY = new Set(['ok', 'pending']);

export function registerOpsRoutes(app: Hono, s: LogService, options: { benchRoutes?: boolean } = {}): void {
  app.get('/health', () => {
    const now = Date.now();
    const latest = s.sequencer.latest;
    const published = s.witnessing.published();
    const w = s.witnessing.health();
    const publish = s.publisher?.status();
    const validation = s.validator.status();
    // A validation worker being replaced (it died, or was stopped as stuck) serves fewer entries.
    const validating = validation === undefined || (validation.ready === validation.size && !validation.failure);
    const healthy =
      published !== undefined &&
      w.witnesses.every((x) => HEALTHY.has(x.status)) &&
      publish?.lastError === undefined &&
      validating;
    // 503 while batches fail to commit (a full disk, I/O errors), or while PostgreSQL cannot be
    // reached: nothing new is being stored.
    const cluster = s.cluster?.();
    const database = cluster ? (cluster.databaseReachable ? 'ok' : 'unreachable') : undefined;
    const writing = !s.sequencer.writesFailing && database !== 'unreachable';
    const body = {
      status: !writing ? 'unavailable' : healthy ? 'ok' : 'degraded',
      version: FLEETLOG_VERSION,
      writes: writing ? 'ok' : 'failing',
      ...(database ? { database } : {}),
      origin: s.origin,
      vkey: s.vkey,
      size: latest.size,
      lastCheckpointAgeSeconds: Math.max(0, (now - latest.signedAtMs) / 1000),
      publishedSize: published?.size ?? null,
      publishedCheckpointAgeSeconds: published ? Math.max(0, (now - published.signedAtMs) / 1000) : null,
      publishedCosigners: published?.cosigners ?? [],
      pendingSubmissions: s.sequencer.pending,
      quorum: w.quorum,
      failOpen: w.failOpen,
      witnesses: w.witnesses,
      staticTiles: publish ?? null,
      validationWorkers: validation ?? null,
      ...(cluster ? { cluster } : {}),
    };
    return jsonResponse(body, writing ? 200 : 503);
  });

  app.get(
    '/metrics',
    () =>
      new Response(s.metrics.registry.render(), {
        headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': NO_CACHE },
      }),
  );

  if (options.benchRoutes) {
    const staticTile = new Uint8Array(8192).fill(7);
    app.post('/bench/noop', async (c) => {
      await readBodyCapped(c, MAX_ENTRY_BYTES);
      return jsonResponse({});
    });
    app.get('/bench/static', () => bytesResponse(staticTile, OCTET_STREAM, IMMUTABLE));
  }
}
