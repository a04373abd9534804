/**
 * fleetlog's fleet index (GET /fleets, log-server/http/proof-routes.ts), so that a fleet id the log
 * does not know is named as such at once, with the fleets it does know, instead of after a scan of
 * the whole log. Other tlog-tiles logs have no index: then the caller scans.
 *
 * The index is the server's word, not evidence: it only chooses the message. A log that hides a
 * fleet from its index gains nothing, because the fleet is then not trusted either way.
 */
import { isFleetlogError } from '../core/errors.ts';
import type { TilesClient } from './tiles-client.ts';

const MAX_PAGE_BYTES = 4 * 1024 * 1024;
const PAGE_SIZE = 1000;
/** Pages read at most (10 000 fleets); a larger log is answered from what was read. */
const MAX_PAGES = 10;

export interface FleetIndex {
  /** Fleet ids, in the log's order (sorted), as far as read. */
  readonly fleetIds: readonly string[];
  /** True if the index has more fleets than were read. */
  readonly truncated: boolean;
}

function parsePage(body: Uint8Array): { ids: string[]; next: string | null } | undefined {
  try {
    const page = JSON.parse(new TextDecoder().decode(body)) as { fleets?: unknown; next?: unknown };
    if (!Array.isArray(page.fleets)) return undefined;
    const ids = page.fleets.map((f: { fleetId?: unknown }) => f?.fleetId);
    if (!ids.every((id): id is string => typeof id === 'string')) return undefined;
    return { ids, next: typeof page.next === 'string' ? page.next : null };
  } catch {
    return undefined;
  }
}

/** The log's fleet ids, or undefined if the log has no fleet index (it is not a fleetlog log). */
export async function readFleetIndex(client: TilesClient): Promise<FleetIndex | undefined> {
  const fleetIds: string[] = [];
  let after = '';
  for (let page = 0; page < MAX_PAGES; page++) {
    let body: Uint8Array;
    try {
      body = await client.get(
        `fleets?limit=${PAGE_SIZE}${after ? `&after=${encodeURIComponent(after)}` : ''}`,
        MAX_PAGE_BYTES,
      );
    } catch (e) {
      if (isFleetlogError(e, 'not_found') || isFleetlogError(e, 'network') || isFleetlogError(e, 'too_large'))
        return page === 0 ? undefined : { fleetIds, truncated: true };
      throw e;
    }
    const parsed = parsePage(body);
    if (!parsed) return page === 0 ? undefined : { fleetIds, truncated: true };
    fleetIds.push(...parsed.ids);
    if (parsed.next === null) return { fleetIds, truncated: false };
    after = parsed.next;
  }
  return { fleetIds, truncated: true };
}

/** Fleet ids listed in a message: the first few, then how many more. */
export function listFleets(index: FleetIndex, shown = 20): string {
  if (index.fleetIds.length === 0) return 'the log has no fleets yet';
  const more = index.fleetIds.length - shown;
  const list = index.fleetIds.slice(0, shown).join(', ');
  return `the fleets in the log are: ${list}${more > 0 ? ` and ${more} more` : ''}${index.truncated ? ' (and more not read)' : ''}`;
}
