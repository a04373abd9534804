// Builds the two pages the servers serve at / (explorer/): dist/pages/log and dist/pages/witness,
// each an index.html and assets/ (one ES module with the client library and core inside, one
// stylesheet). Plain TypeScript and esbuild: a few views need no framework, and every byte the
// browser runs is ours (no CDN, no fonts, no third-party script).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { webBundle } from './browser-bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildPages(outDir = join(root, 'dist', 'pages')) {
  rmSync(outDir, { recursive: true, force: true });
  for (const page of ['log', 'witness']) {
    const dir = join(outDir, page);
    mkdirSync(join(dir, 'assets'), { recursive: true });
    await build({
      ...webBundle,
      platform: 'browser',
      entryPoints: [join(root, 'explorer', page, 'main.ts')],
      outfile: join(dir, 'assets', `${page}.js`),
      minify: true,
      sourcemap: 'linked',
    });
    copyFileSync(join(root, 'explorer', page, 'index.html'), join(dir, 'index.html'));
    copyFileSync(join(root, 'explorer', 'shared', 'style.css'), join(dir, 'assets', 'style.css'));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPages();
