/**
 * The C2SP tlog-tiles read API: /checkpoint (the newest checkpoint that met the witness quorum,
 * with its cosignatures), /tile/<L>/<N>[.p/<W>], /tile/entries/<N>[.p/<W>], plus /entry/<index>.
 * Tiles are served for the newest signed tree; anything it does not cover is a 404.
 */
import type { Hono } from 'hono';
import { parseDecimal } from '../../core/decimal.ts';
import { parseTilePath, treeCoversTile } from '../../core/merkle/tiles.ts';
import type { LogService } from '../service.ts';
import { bytesResponse, errorJson, IMMUTABLE, notPublishedYet, OCTET_STREAM, textResponse } from './responses.ts';

export function registerTileRoutes(app: Hono, s: LogService): void {
  app.get('/checkpoint', () => {
    const published = s.witnessing.published();
    if (!published) return notPublishedYet();
    return textResponse(published.note);
  });

  app.get('/tile/*', async (c) => {
    const { kind, tile } = parseTilePath(c.req.path.slice(1));
    const size = s.sequencer.latest.size;
    if (!treeCoversTile(tile, size)) return errorJson('not_found', `${c.req.path} is beyond the tree of size ${size}`);
    if (kind === 'entries' && acceptsGzip(c.req.header('accept-encoding'))) {
      const gzipped = await s.tiles.gzippedBundleForRequest(tile);
      if (gzipped)
        return bytesResponse(gzipped, OCTET_STREAM, IMMUTABLE, { 'content-encoding': 'gzip', vary: 'accept-encoding' });
    }
    const headers = kind === 'entries' ? { vary: 'accept-encoding' } : undefined;
    return bytesResponse(await s.tiles.read(kind, tile), OCTET_STREAM, IMMUTABLE, headers);
  });

  app.get('/entry/:index', async (c) => {
    const index = parseDecimal(c.req.param('index'), 'entry index');
    const size = s.sequencer.latest.size;
    if (index >= size) return errorJson('not_found', `entry ${index} is beyond the tree of size ${size}`);
    const [data] = await s.storage.readEntries(index, 1);
    return bytesResponse(data!, 'application/json', IMMUTABLE);
  });
}

/** Whether an Accept-Encoding header allows gzip (by name or `*`, with a non-zero q). */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip' && name !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
