/**
 * JSON over HTTP between simulator parts, with fleetlog's error body ({code, message}) turned back
 * into a FleetlogError, and any failure to reach the other side reported as `unavailable`, the
 * code the client and the proposer treat as "try elsewhere / no vote".
 */
import { FleetlogError, type ErrorCode } from '../../core/errors.ts';

export async function postJson<T>(url: string, body: unknown, options: { token?: string; timeoutMs?: number } = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
  } catch (e) {
    throw new FleetlogError('unavailable', `${new URL(url).host} did not answer: ${(e as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok) {
    let err: { code?: string; message?: string } = {};
    try {
      err = JSON.parse(text) as typeof err;
    } catch {
      /* not our error body */
    }
    throw new FleetlogError((err.code as ErrorCode | undefined) ?? (response.status >= 500 ? 'unavailable' : 'internal'), err.message ?? `HTTP ${response.status} from ${url}`);
  }
  return JSON.parse(text) as T;
}
