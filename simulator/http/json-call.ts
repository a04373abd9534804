/**
 * HTTP between simulator parts (HSMs, their clients, the log): any failure to reach the other
 * side is `unavailable`, the code the client and the proposer treat as "try elsewhere / no vote",
 * and fleetlog's error body ({code, message}) is turned back into a FleetlogError.
 */
import { FleetlogError, type ErrorCode } from '../../core/errors.ts';

/** fetch() with a deadline; a request that gets no response throws `unavailable` ("<who> did not answer: …"). */
export async function reach(url: string, init: RequestInit, o: { timeoutMs: number; who?: string }): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(o.timeoutMs) });
  } catch (e) {
    throw new FleetlogError('unavailable', `${o.who ?? new URL(url).host} did not answer: ${(e as Error).message}`);
  }
}

/** The {code, message} of a fleetlog error response, as far as the body is one. */
export async function errorBody(response: Response): Promise<{ code?: ErrorCode; message?: string }> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null ? (body as { code?: ErrorCode; message?: string }) : {};
  } catch {
    return {}; // not our error body
  }
}

export async function postJson<T>(
  url: string,
  body: unknown,
  options: { token?: string; timeoutMs?: number } = {},
): Promise<T> {
  const response = await reach(
    url,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      body: JSON.stringify(body),
    },
    { timeoutMs: options.timeoutMs ?? 5_000 },
  );
  if (!response.ok) {
    const err = await errorBody(response);
    throw new FleetlogError(
      err.code ?? (response.status >= 500 ? 'unavailable' : 'internal'),
      err.message ?? `HTTP ${response.status} from ${url}`,
    );
  }
  return (await response.json()) as T;
}
