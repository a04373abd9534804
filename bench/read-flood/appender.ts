/**
 * The read-flood bench's appenders, in their own process: APPEND_CLIENTS keep-alive clients post
 * evidence entries to /add-entry for a given time and report acknowledged entries. Entries are
 * signed beforehand ('prepare') so the measured window holds only the HTTP traffic.
 */
import { Agent, request } from 'node:http';
import { loadKeys } from '../../log-server/load/keys.ts';
import { syntheticPair } from '../../log-server/load/synthetic.ts';
import { serveRequests } from './child.ts';

export const APPEND_CLIENTS = 4;

export interface AppendResult {
  readonly entries: number;
  readonly failures: number;
  readonly seconds: number;
  /** Entries that had to be signed inside the window because the prepared ones ran out. */
  readonly signedLate: number;
}

const url = new URL(process.env.FLEETLOG_BENCH_URL!);
const token = process.env.FLEETLOG_BENCH_TOKEN!;
const keys = loadKeys(process.env.FLEETLOG_BENCH_SEED!);
const agent = new Agent({ keepAlive: true, maxSockets: APPEND_CLIENTS });
const pool: Uint8Array[] = [];
let made = 0;

const sign = (): Uint8Array => syntheticPair(keys, `flood-${process.pid}-${made++}`).evidence;

function post(body: Uint8Array): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        path: '/add-entry',
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function measure(ms: number): Promise<AppendResult> {
  let entries = 0;
  let failures = 0;
  let signedLate = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: APPEND_CLIENTS }, async () => {
      while (performance.now() < deadline) {
        let body = pool.pop();
        if (body === undefined) {
          body = sign();
          signedLate += 1;
        }
        if ((await post(body)) === 200) entries += 1;
        else failures += 1;
      }
    }),
  );
  return { entries, failures, seconds: (performance.now() - started) / 1000, signedLate };
}

serveRequests(async (r) => {
  if (r.type === 'prepare') {
    while (pool.length < (r.count as number)) pool.push(sign());
    return { prepared: pool.length };
  }
  if (r.type === 'measure') return measure(r.ms as number);
  throw new Error(`unknown request ${JSON.stringify(r.type)}`);
});
