// Hostile text in the log explorer, in Debian's Chromium. The publisher controls the free-text
// fields of the deployment evidence (firmware release, ceremony participants: any printable ASCII,
// so markup is valid there and is logged), and a hostile log controls its fleet index (GET /fleets,
// which no signature covers). Nothing of it may run as script or open a dialog, the logged markup
// must be shown as the literal text it is, and a fleet id that no entry could carry (markup, bidi
// overrides, a megabyte of text) must not be shown as a fleet at all.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentEvidence } from '../../core/entries/deployment-evidence.ts';
import { decodeEntry, encodeEntry, entryLeafHashHex } from '../../core/entries/entry.ts';
import { deployment, keyset } from '../auditor/support/fleet-fixtures.ts';
import { launchBrowser, openAndSettle } from './browser.ts';
import { TamperProxy } from './tamper-proxy.ts';
import { startWorld, type World } from './world.ts';

const RELEASE = `"><img src=x onerror="window.__pwned='release'">`;
const PARTICIPANT = `</dd><script>window.__pwned='participant'</script>`;
const LINK = `javascript:window.__pwned='link'`;

let world: World;
let browser: BrowserContext;
let proxy: TamperProxy;

/** Opens a page and records any dialog, and whether any payload set its flag. */
async function open(url: string): Promise<{ page: Page; dialogs: string[] }> {
  const dialogs: string[] = [];
  browser.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const page = await openAndSettle(browser, url);
  return { page, dialogs };
}
const pwned = (page: Page) => page.evaluate(() => (globalThis as { __pwned?: string }).__pwned ?? null);

beforeAll(async () => {
  world = await startWorld();
  const base = deployment(world.fleet, 'fleet-x');
  const evidence = decodeEntry(base.bytes) as DeploymentEvidence;
  const hostile: DeploymentEvidence = {
    ...evidence,
    firmware: { ...evidence.firmware, release: RELEASE },
    ceremony: { ...evidence.ceremony, participants: [PARTICIPANT, LINK] },
  };
  const bytes = encodeEntry(hostile);
  const dep = { ...base, bytes, leafHash: entryLeafHashHex(bytes) };
  const now = Math.floor(Date.now() / 1000);
  await world.add(dep.bytes); // the log accepts it: these fields are free text
  await world.add(keyset(world.fleet, 'fleet-x', 1, dep, { notBefore: now - 60, notAfter: now + 86_400 * 90 }));
  browser = await launchBrowser();
  proxy = await new TamperProxy(world.log.url).start();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await world?.close();
});

describe('hostile text in the log explorer', () => {
  it('markup logged in the evidence is shown literally and never runs', async () => {
    const { page, dialogs } = await open(`${world.log.url}/`);
    const article = page.locator('article[data-fleet="fleet-x"]');
    await article.locator('.banner[data-trusted]').waitFor();
    expect(await article.locator('.banner[data-trusted]').getAttribute('data-trusted')).toBe('true');
    const facts = await article.locator('dl.facts').last().textContent();
    expect(facts).toContain(RELEASE);
    expect(facts).toContain(PARTICIPANT);
    expect(facts).toContain(LINK);
    expect(await article.locator('img, script, a[href^="javascript"]').count()).toBe(0);
    expect(await pwned(page)).toBeNull();
    expect(dialogs).toEqual([]);
    expect((page as Page & { problems?: string[] }).problems).toEqual([]);
    await page.close();
  });

  it("a hostile log's fleet index cannot show markup, bidi overrides or huge ids as fleets", async () => {
    const real = JSON.parse(await (await fetch(`${world.log.url}/fleets`)).text()) as {
      fleets: Array<{ fleetId: string; keysets: unknown[] }>;
    };
    const ks = real.fleets[0]!.keysets;
    const junk = [
      { fleetId: `<img src=x onerror="window.__pwned='index'">`, keysets: ks },
      { fleetId: '\u202eteelf-x', keysets: ks }, // shows as "fleet-x" reversed
      { fleetId: 'x'.repeat(1_000_000), keysets: ks },
      { fleetId: 'fleet-y', keysets: [{ ...(ks[0] as object), index: '<b>0</b>' }] },
      { fleetId: 'fleet-z', keysets: 'none' },
    ];
    proxy.replace.set('/fleets', {
      body: Buffer.from(JSON.stringify({ treeSize: 2, fleets: [...junk, ...real.fleets], next: null })),
      type: 'application/json',
    });
    try {
      const { page, dialogs } = await open(`${proxy.url}/`);
      await page.locator('article[data-fleet="fleet-x"] .banner[data-trusted]').waitFor();
      const shown = await page
        .locator('article.fleet')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-fleet')));
      expect(shown).toEqual(['fleet-x']);
      expect(await page.locator('#fleets').textContent()).toContain('4 items of the index that no entry could carry');
      expect(await pwned(page)).toBeNull();
      expect(dialogs).toEqual([]);
      await page.close();
    } finally {
      proxy.replace.delete('/fleets');
    }
  });

  it('every page route answers with its own type and the security headers', async () => {
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/assets/log.js', 'text/javascript'],
      ['/fleets', 'application/json'],
      ['/checkpoint', 'text/plain'],
      ['/policy', 'text/plain'],
    ] as const) {
      const res = await fetch(`${world.log.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      await res.arrayBuffer();
    }
    const witness = world.witnesses[0]!.url;
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/logs', 'application/json'],
      ['/health', 'application/json'],
      ['/no-such-page', 'application/json'],
    ] as const) {
      const res = await fetch(`${witness}${path}`);
      expect(res.headers.get('content-type'), `witness ${path}`).toContain(type);
      expect(res.headers.get('x-content-type-options'), `witness ${path}`).toBe('nosniff');
      await res.arrayBuffer();
    }
  });
});
