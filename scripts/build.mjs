// Compiles the TypeScript sources to dist/ (one .js file per .ts file, same layout), so servers and
// worker threads run plain JavaScript: no TypeScript loader thread (about 35 MB of RSS per thread
// and a slower start). Runs on `npm ci` (prepare) and `npm run build`; bin/fleetlog.js uses dist/
// only while it is newer than every source file, and falls back to tsx otherwise.
import { build } from 'esbuild';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
import { SOURCE_DIRS } from '../bin/sources.js';
import { buildClient } from './build-client.mjs';
import { buildPages } from './build-pages.mjs';

function tsFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// Relative imports are written with .ts extensions; point them at the compiled .js siblings and
// leave every package import alone (bundle: true with everything external emits one file per entry).
const rewriteImports = {
  name: 'rewrite-ts-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (/^\.\.?\//.test(args.path)) return { path: args.path.replace(/\.ts$/, '.js'), external: true };
      return { path: args.path, external: true };
    });
  },
};

const started = Date.now();
rmSync(join(root, 'dist'), { recursive: true, force: true });
const entryPoints = SOURCE_DIRS.flatMap((d) => tsFiles(join(root, d)));
await build({
  entryPoints,
  outdir: join(root, 'dist'),
  outbase: root,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [rewriteImports],
});
writeFileSync(join(root, 'dist', 'package.json'), '{"type":"module"}\n');
// The fleetlog/client library entry and the explorer pages the servers serve at /.
await buildClient();
await buildPages();
writeFileSync(join(root, 'dist', 'BUILT'), `${new Date().toISOString()}\n`);
process.stderr.write(
  `build: ${entryPoints.length} files -> ${relative(process.cwd(), join(root, 'dist')) || 'dist'} in ${Date.now() - started} ms\n`,
);
