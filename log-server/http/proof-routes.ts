/**
 * Conveniences beyond tlog-tiles (a client can compute all of these from tiles):
 *   GET /proof/inclusion?index=N[&size=S] or ?leaf=<hex leaf hash>[&size=S]
 *       -> {index, size, leafHash (hex), proof: [base64 hashes, leaf sibling first]}
 *   GET /proof/consistency?old=M[&new=S] -> {old, new, proof: [base64 hashes]}
 *   GET /proof/<index>  -> C2SP tlog-proof text against the published (witnessed) checkpoint,
 *       with the entry bytes in `extra`
 *   GET /fleets[?after=<fleetId>&limit=L] -> each fleet's key-set history with log indices
 *   GET /fleet-bundle/<fleetId> -> the offline fleet bundle (core/audit/fleet-bundle.ts) for the
 *       fleet's newest key set in the published checkpoint
 * `size`/`new` default to the newest signed tree; a size beyond it is a 404.
 */
import type { Hono } from 'hono';
import { fromHex, toBase64, toHex } from '../../core/bytes.ts';
import { parseDecimal } from '../../core/decimal.ts';
import { ID_PATTERN } from '../../core/entries/schema.ts';
import { FleetlogError } from '../../core/errors.ts';
import { formatTlogProof } from '../../core/tlog-proof.ts';
import type { LogService } from '../service.ts';
import { queryNumber, queryParam, requireQueryNumber } from './query.ts';
import { jsonResponse, notPublishedYet, textResponse } from './responses.ts';

/** Accepted limits (1-1000); pages hold at most this many fleets, so one request's cost is bounded. */
const MAX_FLEETS_LIMIT = 1000;
const MAX_FLEETS_PER_PAGE = 200;

export function registerProofRoutes(app: Hono, s: LogService): void {
  /** A requested tree size: at most the newest signed tree, which is the default. */
  const treeSize = (requested: number | undefined): number => {
    const latest = s.sequencer.latest.size;
    if (requested !== undefined && requested > latest)
      throw new FleetlogError('not_found', `tree size ${requested} is beyond the tree of size ${latest}`);
    return requested ?? latest;
  };

  app.get('/proof/inclusion', async (c) => {
    const size = treeSize(queryNumber(c, 'size'));
    const leaf = queryParam(c, 'leaf');
    const indexParam = queryNumber(c, 'index');
    if ((leaf === undefined) === (indexParam === undefined))
      throw new FleetlogError('usage', 'give exactly one of index=<N> or leaf=<hex leaf hash>');
    let index: number;
    if (leaf !== undefined) {
      const hash = fromHex(leaf, 32, 'leaf hash');
      const found = (await s.storage.findLeaves([hash])).get(leaf);
      if (!found || found.index >= size)
        throw new FleetlogError('not_found', `no entry with leaf hash ${leaf} in the tree of size ${size}`);
      index = found.index;
    } else {
      index = indexParam!;
      if (index >= size)
        throw new FleetlogError(
          queryParam(c, 'size') === undefined ? 'not_found' : 'bad_number',
          `index ${index} is not below tree size ${size}`,
        );
    }
    const [proof, [leafHash]] = await Promise.all([
      s.proofs.inclusion(index, size),
      s.storage.readNodes([{ level: 0, index }]),
    ]);
    return jsonResponse({ index, size, leafHash: toHex(leafHash!), proof: proof.map(toBase64) });
  });

  app.get('/proof/consistency', async (c) => {
    const oldSize = requireQueryNumber(c, 'old');
    const newSize = treeSize(queryNumber(c, 'new'));
    if (oldSize > newSize)
      throw new FleetlogError('bad_number', `old size ${oldSize} is larger than new size ${newSize}`);
    const proof = await s.proofs.consistency(oldSize, newSize);
    return jsonResponse({ old: oldSize, new: newSize, proof: proof.map(toBase64) });
  });

  app.get('/proof/:index', async (c) => {
    const index = parseDecimal(c.req.param('index'), 'entry index');
    const published = s.witnessing.published();
    if (!published) return notPublishedYet();
    if (index >= published.size)
      throw new FleetlogError(
        'not_found',
        `entry ${index} is not in the published checkpoint (size ${published.size}) yet`,
      );
    const entry = await s.proofs.loggedEntry(index, published.size);
    return textResponse(formatTlogProof({ extra: entry.bytes, index, proof: entry.proof, checkpoint: published.note }));
  });

  app.get('/fleets', async (c) => {
    const after = queryParam(c, 'after') ?? '';
    if (after !== '' && !ID_PATTERN.test(after)) throw new FleetlogError('usage', 'after must be a fleet id');
    const limit = queryNumber(c, 'limit') ?? 100;
    if (limit < 1 || limit > MAX_FLEETS_LIMIT)
      throw new FleetlogError('bad_number', `limit must be 1 to ${MAX_FLEETS_LIMIT}`);
    const page = Math.min(limit, MAX_FLEETS_PER_PAGE); // a larger limit gets a full page and `next`
    const fleets = await s.storage.listFleets(after, page);
    return jsonResponse({
      size: s.sequencer.latest.size,
      fleets: fleets.map((f) => ({
        fleetId: f.fleetId,
        keysets: f.keysets.map((k) => ({
          version: k.version,
          index: k.index,
          leafHash: toHex(k.leafHash),
          evidenceIndex: k.evidenceIndex,
          notBefore: k.notBefore,
          notAfter: k.notAfter,
        })),
      })),
      next: fleets.length === page ? fleets[fleets.length - 1]!.fleetId : null,
    });
  });

  app.get('/fleet-bundle/:fleetId', async (c) => {
    const fleetId = c.req.param('fleetId');
    if (!ID_PATTERN.test(fleetId)) throw new FleetlogError('usage', 'not a valid fleet id');
    const published = s.witnessing.published();
    if (!published) return notPublishedYet();
    const bundle = await s.proofs.fleetBundle(fleetId, published);
    if (bundle === undefined)
      throw new FleetlogError(
        'not_found',
        `no key set for fleet ${fleetId} in the published checkpoint (size ${published.size})`,
      );
    return textResponse(bundle);
  });
}
