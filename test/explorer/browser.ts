/**
 * Debian's Chromium driven by playwright-core, the way every browser test here launches it:
 * headless, a fresh user-data directory, and the flags that keep it from reaching for the network
 * (this machine has none). Screenshots go to test-output/screenshots/ and their paths are printed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { REPO_ROOT, tempDir } from '../support/process.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(REPO_ROOT, 'test-output', 'screenshots');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A persistent context on a fresh profile: its localStorage lives as long as the context. */
export async function launchBrowser(options: { phone?: boolean } = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(tempDir('fleetlog-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.phone ? { width: 390, height: 844 } : { width: 1200, height: 900 },
    ...(options.phone ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}),
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  process.stdout.write(`screenshot: ${path}\n`);
  return path;
}

/** Opens `url` and waits until the page says it has finished verifying. */
export async function openAndSettle(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  (page as Page & { problems?: string[] }).problems = problems;
  return page;
}
