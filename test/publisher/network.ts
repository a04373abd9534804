/**
 * A real log-server and two real witnesses on localhost (in-process servers, real sockets and
 * SQLite), for the publishing tests. The log starts once the policy exists: `startLog` reads it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addToken, initLog, startLogServer } from '../../log-server/index.ts';
import { silentLogger } from '../../service/logger.ts';
import type { RunningServer } from '../../service/serve.ts';
import { addLog, initWitness, startWitness } from '../../witness/index.ts';
import { freePort } from '../support/process.ts';

export const ORIGIN = 'log.example.com/fleet';

export interface Network {
  readonly logUrl: string;
  readonly logVkey: string;
  readonly logDir: string;
  readonly token: string;
  readonly witnesses: { name: string; url: string; vkey: string; server: RunningServer; dataDir: string }[];
  startLog(policyFile: string): Promise<void>;
  /** The log's newest tree size (signed, maybe not yet published). */
  size(): Promise<number>;
  close(): Promise<void>;
}

export async function startNetwork(dir: string): Promise<Network> {
  const logDir = join(dir, 'log');
  const { vkey: logVkey } = await initLog({ dataDir: logDir, origin: ORIGIN });
  const token = await addToken({ dataDir: logDir, name: 'publisher' });
  const witnesses: Network['witnesses'] = [];
  for (const i of [1, 2]) {
    const dataDir = join(dir, `w${i}`);
    const { vkey } = await initWitness({ dataDir, name: `witness-${i}.example.org` });
    addLog({ dataDir, origin: ORIGIN, vkey: logVkey });
    const server = await startWitness({ dataDir, logger: silentLogger, threads: 0 });
    witnesses.push({ name: `w${i}`, url: server.url, vkey, server, dataDir });
  }
  const port = await freePort();
  const logUrl = `http://127.0.0.1:${port}`;
  let log: RunningServer | undefined;
  return {
    logUrl,
    logVkey,
    logDir,
    token,
    witnesses,
    async startLog(policyFile) {
      log = await startLogServer({
        dataDir: logDir,
        port,
        policyText: readFileSync(policyFile, 'utf8'),
        logger: silentLogger,
        witnessRetryBaseMs: 50,
        witnessRetryMaxMs: 200,
      });
    },
    async size() {
      const h = (await (await fetch(`${logUrl}/health`)).json()) as { size: number };
      return h.size;
    },
    async close() {
      await log?.close();
      for (const w of witnesses) await w.server.close().catch(() => undefined);
    },
  };
}
