/**
 * The load generator: C concurrent clients, each submitting evidence-then-keyset pairs over
 * keep-alive HTTP, timing every request. Entries are generated before the clock starts so the
 * figure measures the log, not the generator's signing.
 */
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { FleetlogError } from '../../core/errors.ts';
import type { LoadKeys } from './keys.ts';
import { syntheticPair, type EntryPair } from './synthetic.ts';

export interface LoadOptions {
  readonly url: string;
  readonly token: string;
  readonly pairs: readonly EntryPair[];
  readonly concurrency: number;
  /** Request path; the benchmark points it at the no-op baseline route. */
  readonly path?: string;
  readonly timeoutMs?: number;
}

export interface LoadReport {
  readonly entries: number;
  readonly failures: number;
  readonly seconds: number;
  readonly entriesPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  /** Failed requests by HTTP status (or "network"). */
  readonly errors: Readonly<Record<string, number>>;
}

export function generatePairs(keys: LoadKeys, count: number, runId = randomBytes(4).toString('hex')): EntryPair[] {
  const pairs: EntryPair[] = new Array(count);
  for (let i = 0; i < count; i++) pairs[i] = syntheticPair(keys, `load-${runId}-${i}`);
  return pairs;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

function post(
  agent: Agent,
  url: URL,
  path: string,
  token: string,
  body: Uint8Array,
  timeoutMs: number,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        timeout: timeoutMs,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

function percentileOf(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  if (!Number.isSafeInteger(options.concurrency) || options.concurrency < 1)
    throw new FleetlogError('usage', 'concurrency must be a positive integer');
  const base = new URL(options.url);
  const prefix = base.pathname.replace(/\/+$/, '');
  const path = prefix + (options.path ?? '/add-entry');
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const latencies = new Float64Array(options.pairs.length * 2);
  let measured = 0;
  let entries = 0;
  let failures = 0;
  const errors: Record<string, number> = {};
  let next = 0;

  const submit = async (body: Uint8Array): Promise<boolean> => {
    const started = performance.now();
    let ok = false;
    try {
      const answer = await post(agent, base, path, options.token, body, timeoutMs);
      ok = answer.status === 200;
      if (!ok) errors[String(answer.status)] = (errors[String(answer.status)] ?? 0) + 1;
    } catch {
      errors.network = (errors.network ?? 0) + 1;
    }
    latencies[measured++] = performance.now() - started;
    if (ok) entries += 1;
    else failures += 1;
    return ok;
  };

  const client = async (): Promise<void> => {
    while (next < options.pairs.length) {
      const pair = options.pairs[next++]!;
      if (await submit(pair.evidence)) await submit(pair.keyset);
      else failures += 1; // the key set is not sent without its evidence
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(options.concurrency, Math.max(1, options.pairs.length)) }, client));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = latencies.subarray(0, measured).sort();
  return {
    entries,
    failures,
    seconds,
    entriesPerSecond: entries / seconds,
    latencyMs: {
      p50: percentileOf(sorted, 50),
      p90: percentileOf(sorted, 90),
      p99: percentileOf(sorted, 99),
      max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    },
    errors,
  };
}
