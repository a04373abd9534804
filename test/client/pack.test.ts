// fleetlog/client as an app developer gets it: `npm pack`, the tarball unpacked into an empty
// project, and the README's example run as written (only its LOG, POLICY and FLEET lines point at
// a real log with two witnesses): in Node, type-checked from TypeScript, and bundled by esbuild for
// the browser and run in Chromium.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../support/process.ts';
import { launchBrowser, screenshot } from '../explorer/browser.ts';
import { TamperProxy } from '../explorer/tamper-proxy.ts';
import { publishFleets, startWorld, type World } from '../explorer/world.ts';

let world: World;
let app = '';
let example = '';

/** The first ```js block of the README's app-developer section. */
function readmeExample(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## For app developers'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README has no ```js example in its app-developer section');
  return match[1]!;
}

function runNode(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: app, timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function configure(code: string, log: string): string {
  const out = code
    .replace(/^const LOG = .*$/m, `const LOG = ${JSON.stringify(log)};`)
    .replace(/^const POLICY = .*$/m, `const POLICY = ${JSON.stringify(world.policyText)};`)
    .replace(/^const FLEET = .*$/m, "const FLEET = 'fleet-b';");
  if (out === code) throw new Error('the README example has no LOG/POLICY/FLEET lines to configure');
  return out;
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-client.mjs')], { stdio: 'pipe' });
  const packs = tempDir('fleetlog-pack-');
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packs], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as Array<{ filename: string }>;
  app = tempDir('fleetlog-app-');
  writeFileSync(join(app, 'package.json'), '{ "name": "scratch-app", "private": true, "type": "module" }\n');
  const target = join(app, 'node_modules', 'fleetlog');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['xzf', join(packs, packed[0]!.filename), '--strip-components=1', '-C', target]);
  world = await startWorld();
  await publishFleets(world);
  example = readmeExample();
}, 180_000);

afterAll(async () => {
  await world?.close();
});

describe('fleetlog/client from a packed tarball', () => {
  it('installs nothing but itself: the entry carries its dependencies', () => {
    expect(readdirSync(join(app, 'node_modules'))).toEqual(['fleetlog']);
    const entry = readFileSync(join(app, 'node_modules/fleetlog/dist/fleetlog-client/index.js'), 'utf8');
    expect(entry).not.toMatch(/["']node:[a-z]/);
    expect(entry).not.toMatch(/\brequire\(/);
  });

  it('runs the README example in Node and trusts the fleet after all eight steps', async () => {
    writeFileSync(join(app, 'app.mjs'), configure(example, world.log.url));
    // Asynchronously: the log answering it runs in this process.
    const run = await runNode(['app.mjs']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    for (let step = 1; step <= 8; step++) expect(run.stdout).toMatch(new RegExp(`^pass step ${step} `, 'm'));
    expect(run.stdout).toContain('trusted fleet-b-hsm4: ed25519');
  });

  it('has type declarations that a strict TypeScript project resolves and checks', () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          noEmit: true,
          lib: ['es2022', 'dom'],
          types: [],
        },
      }),
    );
    const tscPath = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    writeFileSync(
      join(app, 'check.mts'),
      [
        "import { verifyFleetBundle, checkPinnedKey, type FleetTrustResult } from 'fleetlog/client';",
        "const r: FleetTrustResult = verifyFleetBundle({ policy: 'quorum none\\n', bundle: '' });",
        'const failed: number | undefined = r.failure?.step;',
        "const pinned = checkPinnedKey({ fleetId: 'f', keys: [] }, { fleetId: 'f', hsmId: 'h', alg: 'ed25519', publicKey: '00' });",
        'export const out = [r.trusted, failed, pinned.ok];',
        '',
      ].join('\n'),
    );
    // The declarations are real types, not `any`: a wrong use is an error (and the only one).
    writeFileSync(
      join(app, 'wrong.mts'),
      "import { verifyFleetBundle } from 'fleetlog/client';\nexport const n: string = verifyFleetBundle({ policy: '', bundle: '' }).trusted;\n",
    );
    const tsc = spawnSync(process.execPath, [tscPath, '-p', app], { cwd: app, encoding: 'utf8' });
    const errors = tsc.stdout.split('\n').filter((l) => /error TS/.test(l));
    expect(errors).toEqual([
      expect.stringMatching(/^wrong\.mts\(2,14\): error TS2322: Type 'boolean' is not assignable to type 'string'/),
    ]);
  }, 60_000);

  it('bundles with esbuild for the browser and runs the README example in Chromium', async () => {
    // The page and the log share an origin (a proxy in front of the log serves the page too).
    const proxy = await new TamperProxy(world.log.url).start();
    const context = await launchBrowser();
    try {
      writeFileSync(join(app, 'browser-app.mjs'), configure(example, `${proxy.url}/`));
      const out = await build({
        entryPoints: [join(app, 'browser-app.mjs')],
        absWorkingDir: app,
        bundle: true,
        platform: 'browser',
        format: 'esm',
        target: 'es2022',
        write: false,
        logLevel: 'silent',
      });
      const js = out.outputFiles[0]!.text;
      expect(js).not.toMatch(/["']node:[a-z]/);
      proxy.replace.set('/app/', {
        body: Buffer.from(
          '<!doctype html><title>app</title><script type="module" src="/app/app.js"></script><pre id="out"></pre>',
        ),
        type: 'text/html',
      });
      proxy.replace.set('/app/app.js', { body: Buffer.from(js), type: 'text/javascript' });
      const page = await context.newPage();
      const lines: string[] = [];
      page.on('console', (m) => lines.push(m.text()));
      page.on('pageerror', (e) => lines.push(`error: ${e.message}`));
      await page.goto(`${proxy.url}/app/`);
      await page.waitForFunction(() => true);
      const deadline = Date.now() + 20_000;
      while (!lines.some((l) => l.startsWith('trusted ') || l.startsWith('error')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(lines.filter((l) => l.startsWith('error'))).toEqual([]);
      for (let step = 1; step <= 8; step++) expect(lines.some((l) => l.startsWith(`pass step ${step} `))).toBe(true);
      expect(lines.some((l) => l.startsWith('trusted fleet-b-hsm0: ed25519'))).toBe(true);
      // The state went to localStorage, as the example says.
      expect(await page.evaluate(() => localStorage.getItem('fleetlog-state'))).toContain('fleetlog-client-state/v1');
      await page.evaluate((text) => {
        document.getElementById('out')!.textContent = text;
      }, lines.join('\n'));
      await screenshot(page, 'client-readme-example-in-chromium');
    } finally {
      await context.close();
      await proxy.close();
    }
  });
});
