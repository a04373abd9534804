/**
 * The soak's appender (a child process the soak may kill -9 at any moment): submits deployment
 * evidence entries to the log, and every 50th also the fleet key set that references it, with a
 * few concurrent clients, and prints one JSON line `{"index", "leafHash"}` on stdout for each
 * entry the log acknowledged (200). The soak records what it printed: that is the set of entries
 * the log must never lose.
 *
 *   node --import tsx test/soak/appender.ts <log url> <token> <seed> <clients> <pause ms>
 */
import { randomBytes } from 'node:crypto';
import { loadKeys } from '../../log-server/load/keys.ts';
import { syntheticPair } from '../../log-server/load/synthetic.ts';

const [url, token, seed, clientsArg, pauseArg] = process.argv.slice(2);
if (!url || !token || !seed) throw new Error('usage: appender.ts <log url> <token> <seed> [clients] [pause ms]');
const keys = loadKeys(seed);
const clients = Number(clientsArg ?? '4');
const pauseMs = Number(pauseArg ?? '20');
const runId = randomBytes(4).toString('hex');
let next = 0;
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Submits one entry; true once acknowledged (and printed). */
async function submit(entry: Uint8Array): Promise<boolean> {
  try {
    const res = await fetch(`${url}/add-entry`, {
      method: 'POST',
      body: entry as BodyInit,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status !== 200) return false;
    const answer = JSON.parse(text) as { index: number; leafHash: string };
    process.stdout.write(`${JSON.stringify({ index: answer.index, leafHash: answer.leafHash })}\n`);
    return true;
  } catch {
    return false; // the log is down or restarting: try the next entry a little later
  }
}

async function client(): Promise<void> {
  while (!stopping) {
    const i = next++;
    const pair = syntheticPair(keys, `soak-${runId}-${i}`);
    if (!(await submit(pair.evidence))) {
      await sleep(200);
      continue;
    }
    if (i % 50 === 0) await submit(pair.keyset);
    await sleep(pauseMs);
  }
}

await Promise.all(Array.from({ length: clients }, client));
process.exit(0);
