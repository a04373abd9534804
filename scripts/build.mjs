// Compiles the TypeScript sources to dist/ (one .js file per .ts file, same layout), so servers and
// worker threads run plain JavaScript: no TypeScript loader thread (about 35 MB of RSS per thread
// and a slower start). Runs on `npm ci` (prepare) and `npm run build`. bin/fleetlog.js runs dist/
// unless FLEETLOG_RUN=sources says otherwise.
//
// What is compiled is found, not listed: every file the CLI (cli/main.ts) reaches through imports,
// plus every worker entry those files start (`new URL('./x.ts', import.meta.url)`), and what those
// reach in turn. So no folder list has to be kept in step with the tree.
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildClient } from './build-client.mjs';
import { buildPages } from './build-pages.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(root, 'cli', 'main.ts');
const WORKER_ENTRY = /new URL\(\s*'(\.\.?\/[^']+\.ts)'\s*,\s*import\.meta\.url\s*\)/g;

/** The source files reachable from `entries` by static and dynamic imports (packages excluded). */
async function reachable(entries) {
  const result = await build({
    entryPoints: entries,
    bundle: true,
    write: false,
    metafile: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    outdir: join(root, 'dist-discovery'),
    logLevel: 'warning',
  });
  return Object.keys(result.metafile.inputs).map((p) => resolve(root, p));
}

async function sourceFiles() {
  const files = new Set();
  let frontier = [MAIN];
  while (frontier.length > 0) {
    const next = [];
    for (const file of await reachable(frontier)) {
      if (files.has(file) || !file.endsWith('.ts')) continue;
      files.add(file);
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (/^\s*(\*|\/\*|\/\/)/.test(line)) continue; // examples in comments
        for (const m of line.matchAll(WORKER_ENTRY)) {
          const worker = resolve(dirname(file), m[1]);
          if (!files.has(worker)) next.push(worker);
        }
      }
    }
    frontier = [...new Set(next)];
  }
  return [...files].sort();
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
const entryPoints = await sourceFiles();
rmSync(join(root, 'dist'), { recursive: true, force: true });
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
process.stderr.write(
  `build: ${entryPoints.length} files -> ${relative(process.cwd(), join(root, 'dist')) || 'dist'} in ${Date.now() - started} ms\n`,
);
