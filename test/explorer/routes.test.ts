// The routes the pages need, in process (app.request): the page and its assets with their security
// headers, the log's GET /policy, and the witness's GET /logs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLog, type OpenLog } from '../../log-server/index.ts';
import { silentLogger } from '../../service/logger.ts';
import { PAGE_SECURITY_HEADERS } from '../../service/static-pages.ts';
import { addLog, initWitness, openWitness, type OpenWitness } from '../../witness/index.ts';
import { freshLog, POLICY } from '../log-server/helpers.ts';
import { tempDir } from '../support/process.ts';

function page(): string {
  const dir = tempDir('fleetlog-page-');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><title>t</title><script type="module" src="assets/log.js"></script>',
  );
  writeFileSync(join(dir, 'assets', 'log.js'), 'export {};\n');
  writeFileSync(join(dir, 'assets', 'notes.txt'), 'not served\n');
  return dir;
}

let log: OpenLog;
let bare: OpenLog;
let witness: OpenWitness;
let witnessVkey = '';

beforeAll(async () => {
  const a = await freshLog();
  log = await openLog({ dataDir: a.dataDir, policyText: POLICY, logger: silentLogger, pagesDir: page() });
  const b = await freshLog('test.example/bare');
  bare = await openLog({ dataDir: b.dataDir, logger: silentLogger, pagesDir: false });
  const dataDir = join(tempDir('fleetlog-witness-page-'), 'w');
  witnessVkey = (await initWitness({ dataDir, name: 'witness.page.test' })).vkey;
  addLog({ dataDir, origin: 'test.example/log', vkey: a.vkey });
  witness = openWitness({ dataDir, logger: silentLogger, pagesDir: page() });
});

afterAll(async () => {
  await log?.close();
  await bare?.close();
  await witness?.close();
});

describe('the pages', () => {
  it('serves / and its assets with the security headers, and nothing else from the directory', async () => {
    for (const app of [log.app, witness.app]) {
      const root = await app.request('/');
      expect(root.status).toBe(200);
      expect(root.headers.get('content-type')).toBe('text/html; charset=utf-8');
      for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) expect(root.headers.get(name)).toBe(value);
      const js = await app.request('/assets/log.js');
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(js.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await app.request('/assets/notes.txt')).status).toBe(404);
      expect((await app.request('/assets/..%2Findex.html')).status).toBe(404);
    }
  });

  it('says how to build the page when it was not built', async () => {
    const res = await bare.app.request('/');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('npm run build');
  });
});

describe('GET /policy on the log', () => {
  it('serves the policy the log was started with, and 404 without one', async () => {
    const res = await log.app.request('/policy');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(POLICY);
    const none = await bare.app.request('/policy');
    expect(none.status).toBe(404);
    expect(((await none.json()) as { code: string }).code).toBe('not_found');
  });
});

describe('GET /logs on the witness', () => {
  it('lists the configured logs with their keys and what was cosigned (nothing yet)', async () => {
    const res = await witness.app.request('/logs');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { witness: string; logs: Array<Record<string, unknown>> };
    expect(body.witness).toBe(witnessVkey);
    expect(body.logs).toEqual([
      {
        origin: 'test.example/log',
        originHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        vkeys: [expect.stringMatching(/^test\.example\/log\+/)],
        size: null,
        timestamp: null,
      },
    ]);
  });
});
