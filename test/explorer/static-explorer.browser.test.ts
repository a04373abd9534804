// The log explorer placed next to static tiles (`log serve --publish-dir`) and served by Debian's
// nginx with the repository's configuration (deploy/nginx/fleetlog-tiles.conf): no log-server
// behind it, no /fleets index, so the page scans the entry bundles and still verifies every fleet.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNginx } from '../support/nginx.ts';
import { tempDir } from '../support/process.ts';
import { launchBrowser, openAndSettle, screenshot } from './browser.ts';
import { publishFleets, startWorld, type World } from './world.ts';

let world: World;
let publishDir = '';

beforeAll(async () => {
  publishDir = join(tempDir('fleetlog-static-explorer-'), 'public');
  world = await startWorld({ publishDir });
  await publishFleets(world);
  // The static directory catches up with the published checkpoint on its own.
  for (let i = 0; i < 200; i++) {
    if (
      existsSync(join(publishDir, 'checkpoint')) &&
      readFileSync(join(publishDir, 'checkpoint'), 'utf8').split('\n')[1] === '5'
    )
      break;
    await new Promise((r) => setTimeout(r, 50));
  }
  cpSync(join(world.pages, 'log'), publishDir, { recursive: true });
  writeFileSync(join(publishDir, 'policy'), world.policyText);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('the explorer on a CDN', () => {
  it('verifies the log from static files behind nginx, with the same security headers', async () => {
    const nginx = await startNginx(publishDir);
    const browser = await launchBrowser();
    try {
      const res = await fetch(`${nginx.url}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const js = await fetch(`${nginx.url}/assets/log.js`);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      // Every other answer says nosniff too: entries and notes hold text that publishers chose.
      for (const path of ['/checkpoint', '/tile/entries/000.p/5', '/tile/0/000.p/5', '/policy', '/no-such-file']) {
        const r = await fetch(`${nginx.url}${path}`);
        expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
        await r.arrayBuffer();
      }

      const page = await openAndSettle(browser, `${nginx.url}/`);
      expect(await page.locator('#checkpoint .banner').first().textContent()).toContain('CHECKPOINT VERIFIED');
      expect(await page.locator('#fleets .note').first().textContent()).toContain('a scan of all 5 entries');
      for (const fleet of ['fleet-a', 'fleet-b']) {
        const banner = page.locator(`article[data-fleet="${fleet}"] .banner[data-trusted]`);
        await banner.waitFor();
        expect(await banner.getAttribute('data-trusted')).toBe('true');
      }
      // The one 404 is the page asking for the fleet index that static tiles do not have.
      const problems = (page as typeof page & { problems?: string[] }).problems ?? [];
      expect(problems.filter((p) => !p.includes('status of 404'))).toEqual([]);
      await screenshot(page, 'explorer-static-nginx');
    } finally {
      await browser.close();
      await nginx.stop();
    }
  });
});
