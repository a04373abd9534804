/**
 * One redirect policy for every fleetlog HTTP client that talks to a server someone else runs (the
 * auditor's bounded GETs, the log's add-checkpoint requests to witnesses): at most MAX_REDIRECTS
 * hops, each to an http: or https: URL, each hop with its own deadline over headers and body. A
 * POST follows only 307 and 308, which keep the method and body (RFC 9110 §15.4); 301, 302 and 303
 * would turn it into a GET, which no witness answers, so they are errors.
 */
import { FleetlogError } from '../core/errors.ts';

export const MAX_REDIRECTS = 5;

export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

/** The URL a redirect points to, or a `network` error saying why it is not followed. */
export function redirectTarget(
  from: string,
  status: number,
  location: string | null | undefined,
  hop: number,
  method: 'GET' | 'POST',
): URL {
  if (hop > MAX_REDIRECTS) throw new FleetlogError('network', `${from} redirects more than ${MAX_REDIRECTS} times`);
  if (!location) throw new FleetlogError('network', `${from} answered HTTP ${status} without a Location`);
  if (method === 'POST' && status !== 307 && status !== 308)
    throw new FleetlogError('network', `${from} answered HTTP ${status} to a POST; only 307 and 308 are followed`);
  let target: URL;
  try {
    target = new URL(location, from);
  } catch {
    throw new FleetlogError('network', `${from} redirects to an invalid URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new FleetlogError('network', `${from} redirects to a non-HTTP URL`);
  return target;
}
