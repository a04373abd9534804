/**
 * POST /add-entry: one entry's canonical bytes, `Authorization: Bearer <token>`. Answers only once
 * the entry is in a durable signed checkpoint: {index, leafHash (hex), checkpoint (signed note),
 * proof (C2SP tlog-proof text, entry bytes in `extra`)}, plus `duplicate: true` for a resubmission.
 */
import type { Hono } from 'hono';
import { toHex } from '../../core/bytes.ts';
import { MAX_ENTRY_BYTES } from '../../core/entry-bundle.ts';
import { isFleetlogError } from '../../core/errors.ts';
import { formatTlogProof } from '../../core/tlog-proof.ts';
import { readBodyCapped } from '../../service/body.ts';
import { FORWARDED_HEADER, type LogService } from '../service.ts';
import type { ValidatedEntry } from '../validation/validate.ts';
import { bearerToken, isWellFormedToken, tokenHash } from '../tokens.ts';
import { errorJson, jsonResponse } from './responses.ts';

export function registerWriteRoutes(app: Hono, s: LogService): void {
  app.post('/add-entry', async (c) => {
    const started = performance.now();
    const token = bearerToken(c.req.header('authorization'));
    const challenge = { 'www-authenticate': 'Bearer realm="fleetlog"' };
    if (token === undefined)
      return errorJson(
        'unauthorized',
        'send a submitter token as "Authorization: Bearer <token>" (fleetlog log token add)',
        challenge,
      );
    if (!isWellFormedToken(token) || (await s.storage.findActiveToken(tokenHash(token))) === undefined) {
      return errorJson('unauthorized', 'the bearer token is unknown or revoked', challenge);
    }
    const body = await readBodyCapped(c, MAX_ENTRY_BYTES);
    let entry: ValidatedEntry;
    try {
      entry = await s.validator.validate(body);
    } catch (e) {
      if (isFleetlogError(e)) s.metrics.appends.inc({ result: 'rejected' });
      throw e;
    }
    const r = await s.sequencer.submit(entry, {
      authorization: c.req.header('authorization'),
      forwarded: c.req.header(FORWARDED_HEADER) !== undefined,
    });
    const proof = formatTlogProof({ extra: body, index: r.index, proof: r.proof, checkpoint: r.checkpoint.note });
    s.metrics.addEntrySeconds.observe((performance.now() - started) / 1000);
    const answer: Record<string, unknown> = {
      index: r.index,
      leafHash: toHex(r.leafHash),
      checkpoint: r.checkpoint.note,
      proof,
    };
    if (r.duplicate) answer.duplicate = true;
    return jsonResponse(answer);
  });
}
