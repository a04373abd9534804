/**
 * What running servers say about their own keys (GET /health): the log's origin and vkey, a
 * witness's cosigner vkey. Used to fill in a policy and to check one online. The answers are only
 * what the server claims: `policy check --online` compares them with the keys the policy pins.
 */
import { FleetlogError } from '../../core/errors.ts';
import { readStreamCapped } from '../../service/body.ts';

async function health(url: string, who: string): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(`${url.replace(/\/+$/, '')}/health`, { signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new FleetlogError('unavailable', `the ${who} at ${url} did not answer: ${why}`);
  }
  const body = response.body ? await readStreamCapped(response.body, 256 * 1024) : undefined;
  try {
    return JSON.parse(new TextDecoder().decode(body)) as Record<string, unknown>;
  } catch {
    throw new FleetlogError(
      'unavailable',
      `the ${who} at ${url} did not answer /health with JSON (is it a fleetlog ${who}?)`,
    );
  }
}

export async function logKeyFromServer(url: string): Promise<{ origin: string; vkey: string }> {
  const h = await health(url, 'log');
  if (typeof h.vkey !== 'string' || typeof h.origin !== 'string')
    throw new FleetlogError('unavailable', `the log at ${url} did not report its vkey in /health`);
  return { origin: h.origin, vkey: h.vkey };
}

export async function witnessKeyFromServer(url: string): Promise<string> {
  const h = await health(url, 'witness');
  if (typeof h.witness !== 'string')
    throw new FleetlogError(
      'unavailable',
      `the witness at ${url} did not report its vkey in /health (status ${String(h.status)})`,
    );
  return h.witness;
}
