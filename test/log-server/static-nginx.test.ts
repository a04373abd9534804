// The static directory served by Debian's nginx with the repository's configuration
// (deploy/nginx/fleetlog-tiles.conf), the log-server stopped: `fleetlog audit log`, `fleetlog
// audit fleet` and the backup client's trust check all verify the log through nginx alone, from a
// state that saw an older checkpoint (so step 5 needs consistency proofs from the tiles). The log
// is witnessed: the directory holds the quorum-cosigned checkpoint, never an uncosigned one.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMPTY_STATE, parseState, serializeState } from '../../core/audit/client-state.ts';
import { parseCheckpointNote } from '../../core/checkpoint.ts';
import { toHex } from '../../core/bytes.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { addToken, initLog } from '../../log-server/index.ts';
import { generatePairs } from '../../log-server/load/run-load.ts';
import { silentLogger } from '../../service/logger.ts';
import { MemoryStateStore, OverTheAirTrust } from '../../simulator/client/fleet-trust-source.ts';
import { TilesLogReader } from '../../simulator/client/tiles-log-reader.ts';
import { addLog, initWitness, startWitness } from '../../witness/index.ts';
import { startNginx, TILES_CONF } from '../support/nginx.ts';
import { freePort, REPO_ROOT, runFleetlog, startFleetlogServer, tempDir } from '../support/process.ts';
import { KEYS } from './helpers.ts';
import { checkPublishDir } from './publish-dir-check.ts';

const ORIGIN = 'static.example/log';

async function post(url: string, token: string, body: Uint8Array): Promise<void> {
  const res = await fetch(`${url}/add-entry`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: body as BodyInit,
  });
  expect(res.status, await res.text()).toBe(200);
}

/** The log's published checkpoint once it reaches `size` (the witness must have cosigned it). */
async function publishedAt(url: string, size: number): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${url}/checkpoint`);
    const text = await res.text();
    if (res.status === 200 && parseCheckpointNote(text).checkpoint.size === size) return text;
    if (Date.now() > deadline) throw new Error(`the log did not publish size ${size}: ${res.status} ${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('static tiles through nginx', () => {
  it('the README shows exactly the configuration the tests run', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`nginx\n${readFileSync(TILES_CONF, 'utf8')}\`\`\`\n`);
  });

  it('audit log, audit fleet and the client verify the log from nginx alone', { timeout: 120_000 }, async () => {
    const dir = tempDir('fleetlog-static-nginx-');
    const dataDir = join(dir, 'log');
    const publishDir = join(dir, 'public');
    const { vkey } = await initLog({ dataDir, origin: ORIGIN });
    const token = await addToken({ dataDir, name: 'static' });
    const witnessDir = join(dir, 'w1');
    const { vkey: witnessVkey } = await initWitness({ dataDir: witnessDir, name: 'witness.example/w1' });
    addLog({ dataDir: witnessDir, origin: ORIGIN, vkey });
    const witness = await startWitness({ dataDir: witnessDir, logger: silentLogger, threads: 0 });
    const policyText = (logUrl: string): string =>
      [
        `log ${vkey} ${logUrl}`,
        `witness w1 ${witnessVkey} ${witness.url}`,
        'quorum w1',
        `fleetlog publisher ${KEYS.publisher.vkey}`,
        `fleetlog countersigner ${KEYS.countersigner.vkey}`,
        `fleetlog hsm-vendor ${KEYS.hsmVendor.vkey}`,
        '',
      ].join('\n');
    const serverPolicy = join(dir, 'server-policy.txt');
    writeFileSync(serverPolicy, policyText('http://127.0.0.1:1'));

    const port = await freePort();
    const log = await startFleetlogServer(
      [
        'log',
        'serve',
        '--data',
        dataDir,
        '--listen',
        `127.0.0.1:${port}`,
        '--policy',
        serverPolicy,
        '--publish-dir',
        publishDir,
        '--batch-max-wait',
        '1ms',
      ],
      `http://127.0.0.1:${port}`,
      { env: { FLEETLOG_LOG_LEVEL: 'warn' } },
    );
    const pairs = generatePairs(KEYS, 4);
    let early: string;
    let last: string;
    try {
      // Two fleets, then a checkpoint a client remembers; then more than a full tile of entries.
      for (const p of pairs.slice(0, 2)) for (const e of [p.evidence, p.keyset]) await post(log.url, token, e);
      early = await publishedAt(log.url, 4);
      const bulk = generatePairs(KEYS, 256).map((p) => p.evidence);
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < bulk.length) await post(log.url, token, bulk[next++]!);
        }),
      );
      for (const p of pairs.slice(2)) for (const e of [p.evidence, p.keyset]) await post(log.url, token, e);
      last = await publishedAt(log.url, 264);
      // Stopping drains the publisher: the directory then holds exactly what /checkpoint served.
      expect(await log.stop('SIGTERM')).toBe(0);
    } finally {
      await log.stop('SIGKILL');
      await witness.close();
    }
    expect(readFileSync(join(publishDir, 'checkpoint'), 'utf8')).toBe(last);
    expect(last).toMatch(/— witness\.example\/w1 /); // cosigned, as the quorum requires
    expect(checkPublishDir(publishDir, vkey)).toBe(264);

    const nginx = await startNginx(publishDir);
    try {
      const policyFile = join(dir, 'policy.txt');
      writeFileSync(policyFile, policyText(nginx.url));
      const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
        fetch(nginx.url + path, { headers });

      // Content types and cache headers.
      const cp = await get('/checkpoint');
      expect(cp.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(cp.headers.get('cache-control')).toBe('public, max-age=5');
      expect(await cp.text()).toBe(last);
      const full = await get('/tile/0/000');
      expect(full.headers.get('content-type')).toBe('application/octet-stream');
      expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await full.arrayBuffer()).byteLength).toBe(8192);
      const partial = await get('/tile/0/001.p/8');
      expect(partial.status).toBe(200);
      expect(partial.headers.get('cache-control')).toBe('public, max-age=60');
      expect((await partial.arrayBuffer()).byteLength).toBe(256);
      expect((await get('/tile/1/000.p/1')).status).toBe(200);
      const gz = await get('/tile/entries/000', { 'accept-encoding': 'gzip' });
      expect(gz.headers.get('content-encoding')).toBe('gzip');
      expect(gz.headers.get('vary')).toBe('Accept-Encoding');
      expect(gz.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const plain = await get('/tile/entries/001.p/8', { 'accept-encoding': 'identity' });
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(plain.headers.get('cache-control')).toBe('public, max-age=60');
      const fleetId = pairs[3]!.fleetId;
      const bundle = await get(`/fleet-bundle/${fleetId}`);
      expect(bundle.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await bundle.text()).toContain(last);
      for (const hidden of ['/tile/entries/000.gz', '/.tmp/', '/', '/tile/0/', '/tile/0/999', '/fleet-bundle/none']) {
        const res = await get(hidden);
        expect(res.status, hidden).toBe(404);
        expect(res.headers.get('cache-control'), hidden).toBe('no-store');
      }

      // A client state that saw the early checkpoint: step 5 needs a proof from 4 to 264.
      const seen = parseCheckpointNote(early).checkpoint;
      const state = {
        ...EMPTY_STATE,
        checkpoint: { origin: ORIGIN, size: seen.size, rootHash: toHex(seen.rootHash) },
      };
      const fleetState = join(dir, 'fleet.state');
      writeFileSync(fleetState, serializeState(state));

      const auditLog = await runFleetlog(
        ['audit', 'log', '--log', nginx.url, '--policy', policyFile, '--state', join(dir, 'log.state')],
        { timeoutMs: 60_000 },
      );
      expect(auditLog.code, auditLog.stdout + auditLog.stderr).toBe(0);
      expect(auditLog.stdout).toMatch(/264 entries \(0\.\.263\) hashed from their bundles match the tiles/);

      const fleetOutputs: string[] = [];
      for (const fleet of [pairs[0]!.fleetId, fleetId]) {
        const auditFleet = await runFleetlog(
          ['audit', 'fleet', '--log', nginx.url, '--policy', policyFile, '--fleet', fleet, '--state', fleetState],
          { timeoutMs: 60_000 },
        );
        expect(auditFleet.code, auditFleet.stdout + auditFleet.stderr).toBe(0);
        expect(auditFleet.stdout).toMatch(/^TRUSTED: /m);
        fleetOutputs.push(auditFleet.stdout);
      }
      // The newest fleet's bundle is against 264: step 5 proved 4 -> 264 from nginx's tiles.
      expect(fleetOutputs[1]).toMatch(/step 5 {2}PASS .*grew from 4 to 264/);
      expect(parseState(readFileSync(fleetState, 'utf8')).checkpoint?.size).toBe(264);

      const store = new MemoryStateStore(state);
      const client = new OverTheAirTrust({
        policy: parsePolicy(readFileSync(policyFile, 'utf8')),
        state: store,
        log: new TilesLogReader(nginx.url),
      });
      const trusted = await client.resolve(fleetId);
      expect(trusted.mode).toBe('over-the-air');
      expect(trusted.decision?.trusted).toBe(true);
      expect(trusted.keys.length).toBeGreaterThan(0);
      expect(store.load().checkpoint?.size).toBe(264);
      expect(existsSync(join(publishDir, '.tmp'))).toBe(true);
    } finally {
      await nginx.stop();
    }
  });
});
