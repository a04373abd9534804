/**
 * Serves a built page (scripts/build-pages.mjs: index.html plus hashed-free assets/) from memory,
 * with strict security headers: a Content-Security-Policy that allows only our own scripts,
 * styles and connections (no inline script, nothing from a third party), no framing, nosniff,
 * no referrer. The files are read once at startup and capped, so serving them costs a map lookup.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';

/** The headers every page and asset is served with (also for nginx: see README). */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};
const MAX_PAGE_BYTES = 4 * 1024 * 1024;

export interface PageFile {
  readonly body: Uint8Array;
  readonly type: string;
}

/** A built page: its files by URL path ('/' and '/assets/<name>'). */
export type Page = ReadonlyMap<string, PageFile>;

/** Where `npm run build` puts the pages, whether we run from the sources or from dist/. */
export function defaultPagesDir(name: 'log' | 'witness'): string | undefined {
  const candidates = [
    new URL(`../dist/pages/${name}/`, import.meta.url),
    new URL(`../pages/${name}/`, import.meta.url),
  ];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

/** Reads DIR/index.html and DIR/assets/*; undefined if there is no index.html. */
export function loadPage(dir: string | undefined): Page | undefined {
  if (dir === undefined || !existsSync(join(dir, 'index.html'))) return undefined;
  const files = new Map<string, PageFile>();
  let total = 0;
  const add = (urlPath: string, file: string): void => {
    total += statSync(file).size;
    if (total > MAX_PAGE_BYTES) throw new Error(`the page in ${dir} is over ${MAX_PAGE_BYTES} bytes`);
    files.set(urlPath, { body: readFileSync(file), type: TYPES[extname(file)] ?? 'application/octet-stream' });
  };
  add('/', join(dir, 'index.html'));
  const assets = join(dir, 'assets');
  if (existsSync(assets))
    for (const name of readdirSync(assets)) if (TYPES[extname(name)]) add(`/assets/${name}`, join(assets, name));
  return files;
}

/**
 * GET / and GET /assets/<name>. Without a built page, / answers 404 saying how to build it.
 * Must be registered before routes with a leading parameter (the witness's /<hash>/checkpoint).
 */
export function registerPage(app: Hono, page: Page | undefined, what: string): void {
  const serve = (path: string): Response | undefined => {
    const file = page?.get(path);
    if (!file) return undefined;
    return new Response(file.body as Uint8Array<ArrayBuffer>, {
      headers: { 'content-type': file.type, 'cache-control': 'no-cache', ...PAGE_SECURITY_HEADERS },
    });
  };
  app.get(
    '/',
    (c) => serve('/') ?? c.text(`${what} was not built: run npm run build\n`, 404, { ...PAGE_SECURITY_HEADERS }),
  );
  app.get('/assets/:name', (c) => serve(`/assets/${c.req.param('name')}`) ?? c.text('not found\n', 404));
}
