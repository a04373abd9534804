/** Strict query parameters: canonical decimals only, each given at most once. */
import type { Context } from 'hono';
import { parseDecimal } from '../../core/decimal.ts';
import { FleetlogError } from '../../core/errors.ts';

export function queryParam(c: Context, name: string): string | undefined {
  const all = c.req.queries(name);
  if (all === undefined) return undefined;
  if (all.length !== 1) throw new FleetlogError('usage', `query parameter ${name} must be given once`);
  return all[0];
}

export function queryNumber(c: Context, name: string): number | undefined {
  const v = queryParam(c, name);
  return v === undefined ? undefined : parseDecimal(v, name);
}

export function requireQueryNumber(c: Context, name: string): number {
  const v = queryNumber(c, name);
  if (v === undefined) throw new FleetlogError('usage', `query parameter ${name} is required`);
  return v;
}
