/**
 * A synthetic log served from its own process, for the benchmark: the auditor under test then runs
 * as it would against a remote log, while the server still shares the machine.
 *   argv <kind> <entries>; prints { url, policyText, size, verifies, bytes } as JSON on one stdout
 *   line; serves until SIGTERM.
 */
import { serveLog } from './log-http.ts';
import { deployment, keyset, makeFleetKeys, policyText } from './fleet-fixtures.ts';
import { genericEntry, makeLogKeys, SyntheticLog } from './synthetic-log.ts';

export interface SyntheticServerInfo {
  readonly url: string;
  readonly policyText: string;
  readonly size: number;
  readonly verifies: number;
  readonly bytes: number;
}

export async function startSyntheticServer(
  kind: 'generic' | 'fleet',
  entries: number,
): Promise<SyntheticServerInfo & { close(): Promise<void> }> {
  const keys = makeLogKeys(`bench.test/${kind}`, ['w1', 'w2']);
  const log = new SyntheticLog(keys);
  let verifies = 0;
  let bytes = 0;
  let text: string;
  if (kind === 'generic') {
    for (let i = 0; i < entries; i++) log.append(genericEntry(i));
    bytes = entries * 64;
    text = policyText(keys, { quorum: 2 });
  } else {
    const fleet = makeFleetKeys();
    // Fleets of 100 entries: one deployment (3 attested HSMs), then 99 key set versions.
    for (let f = 0; log.size < entries; f++) {
      const d = deployment(fleet, `fleet-${f}`);
      log.append(d.bytes);
      bytes += d.bytes.length;
      verifies += 3;
      for (let v = 1; v < 100 && log.size < entries; v++) {
        const k = keyset(fleet, `fleet-${f}`, v, d);
        log.append(k);
        bytes += k.length;
        verifies += 2;
      }
    }
    text = policyText(keys, { quorum: 2, fleet });
  }
  log.publish();
  const served = await serveLog(log);
  return { url: served.url, policyText: text, size: log.size, verifies, bytes, close: () => served.close() };
}

if (process.argv[1]?.endsWith('synthetic-server-worker.ts') && process.argv[2]) {
  const { close, ...info } = await startSyntheticServer(
    process.argv[2] as 'generic' | 'fleet',
    Number(process.argv[3]),
  );
  process.stdout.write(`${JSON.stringify(info)}\n`);
  process.on('SIGTERM', () => void close().then(() => process.exit(0)));
}
