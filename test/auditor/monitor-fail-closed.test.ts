// `audit monitor` fails closed: a witness it was asked to compare and could not read is an M7
// alert (and `--once` exits 1), whatever the reason: a name the policy lacks, a closed port, an
// endless body, a gzip bomb, a redirect loop, a cosignature that does not verify. A hook that fails
// is reported and retried next round instead of losing the alert.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../core/bytes.ts';
import { sha256 } from '../../core/crypto/sha256.ts';
import { monitorOnce, runMonitor, type Alert, type MonitorOptions } from '../../auditor-cli/monitor.ts';
import type { Served } from './support/log-http.ts';
import { fleetScenario, serveScenario } from './support/scenario.ts';
import { freePort } from '../support/process.ts';

type Mode = 'good' | 'endless' | 'gzip-bomb' | 'redirect-loop' | 'unsigned';

describe('audit monitor fails closed on witnesses it cannot read', () => {
  const s = fleetScenario();
  let log: Served;
  let witness: Server;
  let witnessUrl: string;
  let mode: Mode = 'good';
  const checkpointPath = `/${toHex(sha256(utf8(s.keys.origin)))}/checkpoint`;
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KiB

  beforeAll(async () => {
    log = await serveScenario(() => s.log);
    witness = createServer((req, res) => {
      if (mode === 'redirect-loop') {
        res.writeHead(302, { location: req.url ?? '/' }).end();
        return;
      }
      if (mode === 'endless') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(16 * 1024, 0x41);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
        return;
      }
      if (mode === 'gzip-bomb') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(bomb);
        return;
      }
      if (req.url === checkpointPath) {
        const note = mode === 'unsigned' ? s.log.checkpoint({ cosignWith: [1, 2] }) : s.log.published;
        res.writeHead(200, { 'content-type': 'text/plain' }).end(note);
        return;
      }
      if (req.url?.startsWith('/evidence')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"evidence":[]}\n');
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => witness.listen(0, '127.0.0.1', r));
    witnessUrl = `http://127.0.0.1:${(witness.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await log.close();
    witness.closeAllConnections();
    await new Promise((r) => witness.close(r));
  });

  const options = (witnesses: string[]): MonitorOptions => ({
    log: log.url,
    policy: s.policy,
    policyText: s.policyText,
    witnesses,
    maxAgeSeconds: 3600,
    workers: 0,
    retries: 0,
    timeoutMs: 2000,
  });
  const m7 = (alerts: readonly Alert[]): string[] =>
    alerts.filter((a) => a.kind === 'witness_unreadable').map((a) => `${a.rule} ${a.message}`);

  it('is quiet about a witness it can read and compare', async () => {
    mode = 'good';
    const r = await monitorOnce(options([`w1=${witnessUrl}`]));
    expect(m7(r.alerts)).toEqual([]);
    expect(r.witnesses[0]).toMatchObject({ relation: 'same' });
  });

  it.each([
    ['endless', /more than the \d+ bytes allowed/],
    ['gzip-bomb', /more than the \d+ bytes allowed/],
    ['redirect-loop', /redirects more than/],
    ['unsigned', /no valid cosignature by witness w1/],
  ] as const)('alerts (M7) on a witness answering %s', async (m, reason) => {
    mode = m;
    const r = await monitorOnce(options([`w1=${witnessUrl}`]));
    const alerts = m7(r.alerts);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/^M7 witness w1 \(http/);
    expect(alerts[0]).toMatch(reason);
  });

  it('alerts on a witness name the policy does not have, and on an unreachable witness', async () => {
    mode = 'good';
    const closed = `http://127.0.0.1:${await freePort()}/`;
    const r = await monitorOnce(options([`nobody=${witnessUrl}`, `w2=${closed}`]));
    const alerts = m7(r.alerts);
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toContain('witness name "nobody" is not in the policy');
    expect(alerts[1]).toContain('cannot connect');
  });

  it('--once exits 1 when a witness could not be read', async () => {
    mode = 'good';
    const state = (await monitorOnce(options([`w1=${witnessUrl}`]))).state!; // the key sets are seen
    const once = () => runMonitor({ ...options([`w1=${witnessUrl}`]), state }, { intervalSeconds: 1, once: true });
    expect(await once()).toBe(0);
    mode = 'redirect-loop';
    expect(await once()).toBe(1);
    mode = 'good';
  });

  it('reports a failing hook and delivers the alert again next round', async () => {
    mode = 'endless';
    const failures: string[] = [];
    const stop = new AbortController();
    let rounds = 0;
    const code = await runMonitor(options([`w1=${witnessUrl}`]), {
      intervalSeconds: 0.05,
      once: false,
      hook: 'exit 3',
      signal: stop.signal,
      onHookFailure: (a, outcome) => failures.push(`${a.kind}: ${outcome}`),
      onRound: () => {
        if (++rounds === 2) stop.abort();
      },
    });
    mode = 'good';
    expect(code).toBe(0);
    // Round 1: the key sets and the unreadable witness; round 2: the undelivered ones again.
    expect(failures.filter((f) => f.startsWith('witness_unreadable'))).toEqual([
      'witness_unreadable: it exited 3',
      'witness_unreadable: it exited 3',
    ]);
  });
});
