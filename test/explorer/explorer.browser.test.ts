// The log explorer and the witness page in Debian's Chromium, against a real log-server with two
// real witnesses and two published fleets. Each altered-log case runs in a fresh browser profile
// behind a proxy that changes the bytes; the page must name the failing step and never say
// "trusted". Screenshots: test-output/screenshots/.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originHash } from '../../witness/store.ts';
import { TestLog } from '../witness/test-log.ts';
import { launchBrowser, openAndSettle, screenshot } from './browser.ts';
import { alterPublisherSignatures, editEntryBundles, TamperProxy } from './tamper-proxy.ts';
import { publishFleets, startWorld, type World } from './world.ts';

let world: World;
let browser: BrowserContext;
let oldCheckpoint = '';
const proxies: TamperProxy[] = [];

async function proxy(): Promise<TamperProxy> {
  const p = await new TamperProxy(world.log.url).start();
  proxies.push(p);
  return p;
}

async function fleetVerdict(page: Page, fleetId: string) {
  const article = page.locator(`article[data-fleet="${fleetId}"]`);
  await article.locator('.banner[data-trusted]').waitFor();
  return {
    trusted: await article.locator('.banner[data-trusted]').getAttribute('data-trusted'),
    headline: await article.locator('.banner[data-trusted]').textContent(),
    steps: await article
      .locator('li.step')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-step')}:${e.getAttribute('data-status')}`)),
    failed: await article.locator('li.step.fail').allInnerTexts(),
  };
}

beforeAll(async () => {
  world = await startWorld();
  await publishFleets(world);
  oldCheckpoint = await (await fetch(`${world.log.url}/checkpoint`)).text();
  // One more key set after the captured checkpoint, so that serving it later is a rollback.
  const { deployment, keyset } = await import('../auditor/support/fleet-fixtures.ts');
  const c = deployment(world.fleet, 'fleet-c');
  await world.add(c.bytes);
  const now = Math.floor(Date.now() / 1000);
  await world.add(keyset(world.fleet, 'fleet-c', 1, c, { notBefore: now - 60, notAfter: now + 86400 * 90 }));
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const p of proxies) await p.close();
  await world?.close();
});

describe('the log explorer on an honest log', () => {
  it('verifies the checkpoint and its two cosignatures, and trusts every fleet with all eight steps passing', async () => {
    const res = await fetch(`${world.log.url}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script at all

    const page = await openAndSettle(browser, `${world.log.url}/`);
    expect(await page.locator('#checkpoint .banner').first().textContent()).toContain('CHECKPOINT VERIFIED');
    const rows = await page
      .locator('tr.signature-row')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(rows).toEqual(['verified', 'verified', 'verified']); // the log and both witnesses
    expect(await page.locator('#policy .banner').textContent()).toContain("THE SERVER'S POLICY");
    for (const fleet of ['fleet-a', 'fleet-b', 'fleet-c']) {
      const v = await fleetVerdict(page, fleet);
      expect(v.trusted, v.headline ?? '').toBe('true');
      expect(v.steps).toEqual(['1:pass', '2:pass', '3:pass', '4:pass', '5:pass', '6:pass', '7:pass', '8:pass']);
    }
    expect(await page.locator('article[data-fleet="fleet-a"] .timeline li').count()).toBe(2);
    const ms = await page.evaluate(() => (globalThis as { __fleetlogTimings?: number[] }).__fleetlogTimings ?? []);
    expect(ms).toHaveLength(3);
    process.stdout.write(
      `one trust decision in Chromium: ${ms.map((m) => m.toFixed(1)).join(', ')} ms (fleet-a, fleet-b, fleet-c)\n`,
    );
    expect(await page.locator('#monitor-result').getAttribute('data-verdict')).toBe('FIRST VISIT');

    // Entry lookup by index, from the keyboard, then by leaf hash.
    await page.locator('#lookup-input').focus();
    await page.keyboard.type('1');
    await page.keyboard.press('Enter');
    await page.locator('#lookup-result .banner').waitFor();
    expect(await page.locator('#lookup-result .banner').textContent()).toContain('INCLUDED');
    const hash = await page.locator('#lookup-result dd code').first().getAttribute('title');
    await page.locator('#lookup-input').fill(hash!);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#lookup-result dd')?.textContent?.startsWith('1'));
    expect(await page.locator('#lookup-result .banner').textContent()).toContain('INCLUDED');
    expect((page as Page & { problems?: string[] }).problems).toEqual([]);
    await screenshot(page, 'explorer-honest');

    // The second visit in the same browser: the log did not change, and the state was kept.
    const again = await openAndSettle(browser, `${world.log.url}/`);
    expect(await again.locator('#monitor-result').getAttribute('data-verdict')).toBe('UNCHANGED');
    expect((await fleetVerdict(again, 'fleet-a')).trusted).toBe('true');
    await again.close();
    await page.close();
  });

  it('fits a phone screen', async () => {
    const phone = await launchBrowser({ phone: true });
    try {
      const page = await openAndSettle(phone, `${world.log.url}/`);
      expect((await fleetVerdict(page, 'fleet-b')).trusted).toBe('true');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await screenshot(page, 'explorer-phone');
    } finally {
      await phone.close();
    }
  });
});

describe('the log explorer on altered logs', () => {
  it('an altered entry bundle (deployment evidence edited): step 6 fails and says why', async () => {
    const p = await proxy();
    p.alter = editEntryBundles('us-east-1', 'us-west-1');
    const context = await launchBrowser();
    try {
      const page = await openAndSettle(context, `${p.url}/`);
      const v = await fleetVerdict(page, 'fleet-a');
      expect(v.trusted).toBe('false');
      expect(v.headline).toContain('NOT TRUSTED');
      expect(v.steps.slice(0, 6)).toEqual(['1:pass', '2:pass', '3:pass', '4:pass', '5:pass', '6:fail']);
      expect(v.failed[0]).toContain('not the entry the key set references');
      expect(await page.locator('article[data-fleet="fleet-a"]').textContent()).toContain(
        'NOT THE REFERENCED EVIDENCE',
      );
      expect(await page.locator('.banner[data-trusted="true"]').count()).toBe(0);
      await screenshot(page, 'explorer-altered-entry-bundle');
    } finally {
      await context.close();
    }
  });

  it('an altered key set signature: step 1 fails and says why', async () => {
    const p = await proxy();
    p.alter = alterPublisherSignatures();
    const context = await launchBrowser();
    try {
      const page = await openAndSettle(context, `${p.url}/`);
      const v = await fleetVerdict(page, 'fleet-a');
      expect(v.trusted).toBe('false');
      expect(v.steps[0]).toBe('1:fail');
      expect(v.failed[0]).toMatch(/publisher signature .* invalid/);
      expect(await page.locator('.banner[data-trusted="true"]').count()).toBe(0);
      await screenshot(page, 'explorer-altered-keyset-signature');
    } finally {
      await context.close();
    }
  });

  it('an altered witness cosignature: the checkpoint and step 3 fail, naming the witness', async () => {
    const p = await proxy();
    p.alter = (path, body) => {
      if (path !== '/checkpoint') return body;
      const lines = body.toString('utf8').split('\n');
      const i = lines.findIndex((l) => l.startsWith('— witness2.'));
      const sig = Buffer.from(lines[i]!.split(' ')[2]!, 'base64');
      sig[20]! ^= 1;
      lines[i] = `${lines[i]!.split(' ').slice(0, 2).join(' ')} ${sig.toString('base64')}`;
      return Buffer.from(lines.join('\n'));
    };
    const context = await launchBrowser();
    try {
      const page = await openAndSettle(context, `${p.url}/`);
      expect(await page.locator('#checkpoint .banner').first().textContent()).toContain('CHECKPOINT NOT VERIFIED');
      const rows = await page
        .locator('tr.signature-row')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
      expect(rows).toEqual(['verified', 'verified', 'failed']);
      expect(await page.locator('#monitor-result').getAttribute('data-verdict')).toBe('NOT COMPARED');
      const v = await fleetVerdict(page, 'fleet-b');
      expect(v.trusted).toBe('false');
      expect(v.steps.slice(0, 3)).toEqual(['1:pass', '2:pass', '3:fail']);
      expect(v.failed[0]).toContain('witness2.explorer.test');
      expect(await page.locator('.banner[data-trusted="true"]').count()).toBe(0);
      await screenshot(page, 'explorer-altered-cosignature');
    } finally {
      await context.close();
    }
  });

  it('a rollback between two visits is reported', async () => {
    const p = await proxy();
    const context = await launchBrowser();
    try {
      const first = await openAndSettle(context, `${p.url}/`);
      expect(await first.locator('#monitor-result').getAttribute('data-verdict')).toBe('FIRST VISIT');
      await first.close();
      p.replace.set('/checkpoint', Buffer.from(oldCheckpoint)); // an older, genuinely cosigned checkpoint
      const second = await openAndSettle(context, `${p.url}/`);
      expect(await second.locator('#monitor-result').getAttribute('data-verdict')).toBe('ROLLBACK');
      const text = await second.locator('#monitor-result').textContent();
      expect(text).toContain('now shows tree size 5, but this browser saw size 7');
      expect(text).toContain('prefix');
      // The key sets still pass the eight steps on that older view, but the page calls nothing trusted.
      const v = await fleetVerdict(second, 'fleet-a');
      expect(v.steps).toEqual(['1:pass', '2:pass', '3:pass', '4:pass', '5:pass', '6:pass', '7:pass', '8:pass']);
      expect(v.headline).toContain('NOT TRUSTED: THE LOG WENT BACK');
      expect(await second.locator('.banner[data-trusted="true"]').count()).toBe(0);
      await screenshot(second, 'explorer-rollback');
    } finally {
      await context.close();
    }
  });
});

describe("the witness's page", () => {
  it('lists the logs it cosigns and verifies the split-view evidence it holds', async () => {
    const w = world.witnesses[0]!;
    // A second log, whose key we hold, shows this witness two different trees of one size.
    const other = new TestLog('other.explorer.test/log');
    const { addLog } = await import('../../witness/index.ts');
    addLog({ dataDir: w.dataDir, origin: other.origin, vkey: other.vkey });
    other.grow(9);
    const post = (body: string) => fetch(`${w.url}/add-checkpoint`, { method: 'POST', body });
    expect((await post(other.body(0, 9))).status).toBe(200);
    const fork = other.fork(4).grow(5, 'b');
    expect((await post(fork.body(9, 9, { proof: [] }))).status).toBe(409);

    const res = await fetch(`${w.url}/`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await openAndSettle(browser, `${w.url}/`);
    const cards = page.locator('#logs article');
    expect(await cards.count()).toBe(2);
    const main = page.locator(`article[data-origin="${world.origin}"]`);
    expect(await main.getAttribute('data-verified')).toBe('true');
    expect(await main.locator('.cosigned-size').textContent()).toBe('7');
    expect(await page.locator(`article[data-origin="${other.origin}"] .cosigned-size`).textContent()).toBe('9');
    const evidence = page.locator('li.evidence');
    expect(await evidence.count()).toBe(1);
    expect(await evidence.getAttribute('data-proven')).toBe('true');
    expect(await evidence.textContent()).toContain('SPLIT VIEW PROVEN');
    expect(originHash(other.origin)).toMatch(/^[0-9a-f]{64}$/);
    await screenshot(page, 'witness-page');
    await page.close();
  });
});
