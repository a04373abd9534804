/**
 * The README's dependency direction is enforced by Biome (biome.json, `overrides`): this test shows
 * that the rules catch violations, at every folder depth the repository has today.
 *
 * How: it copies the repository's biome.json into a scratch directory, plants one small file per
 * case in the same folder layout (core/, service/, simulator/ at each depth found in the real tree),
 * runs the repository's Biome on it, and compares the files Biome flags with the expected ones.
 * Deriving the depths from the real tree means a new, deeper folder that no override covers makes
 * this test fail instead of silently escaping the rule.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT as root, tempDir } from '../support/process.ts';

const biome = join(root, 'node_modules', '.bin', 'biome');

/** Depths (1 = directly in the folder) of the directories under `folder` that hold .ts files. */
function tsDepths(folder: string): number[] {
  const depths = new Set<number>();
  const walk = (dir: string, depth: number): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), depth + 1);
      else if (e.name.endsWith('.ts')) depths.add(depth);
    }
  };
  walk(join(root, folder), 1);
  return [...depths].sort();
}

interface Case {
  /** Path of the planted file, relative to the scratch root. */
  file: string;
  source: string;
  /** The rule Biome must report for this file, or undefined if the file is allowed. */
  rule: 'noRestrictedImports' | 'noNodejsModules' | undefined;
}

/** A folder `depth` levels deep, e.g. core/d1/d2 for depth 3, and the '../' prefix back to the root. */
function place(folder: string, depth: number): { dir: string; up: string } {
  const dir = [folder, ...Array.from({ length: depth - 1 }, (_, i) => `d${i + 1}`)].join('/');
  return { dir, up: '../'.repeat(depth) };
}

function cases(): Case[] {
  const out: Case[] = [];
  const add = (dir: string, name: string, specifier: string, rule: Case['rule']): void => {
    out.push({ file: `${dir}/${name}.ts`, source: `import { x } from '${specifier}';\nexport { x };\n`, rule });
  };
  for (const depth of tsDepths('core')) {
    const { dir, up } = place('core', depth);
    add(dir, 'imports-log-server', `${up}log-server/storage/x.ts`, 'noRestrictedImports');
    add(dir, 'imports-service', `${up}service/body.ts`, 'noRestrictedImports');
    add(dir, 'imports-node-fs', 'node:fs', 'noNodejsModules');
    add(dir, 'imports-bare-path', 'path', 'noNodejsModules');
    add(dir, 'imports-sibling', './sibling.ts', undefined);
    add(dir, 'imports-noble', '@noble/hashes/sha2.js', undefined);
    if (depth > 1) add(dir, 'imports-core-parent', '../bytes.ts', undefined);
  }
  for (const depth of tsDepths('service')) {
    const { dir, up } = place('service', depth);
    add(dir, 'imports-witness', `${up}witness/store.ts`, 'noRestrictedImports');
    add(dir, 'imports-simulator', `${up}simulator/fleet.ts`, 'noRestrictedImports');
    add(dir, 'imports-core', `${up}core/bytes.ts`, undefined);
    add(dir, 'imports-node', 'node:fs', undefined);
  }
  for (const depth of tsDepths('simulator')) {
    const { dir, up } = place('simulator', depth);
    add(dir, 'reaches-into-log-server', `${up}log-server/storage/sqlite.ts`, 'noRestrictedImports');
    add(dir, 'reaches-into-witness', `${up}witness/store.ts`, 'noRestrictedImports');
    add(dir, 'reaches-into-auditor', `${up}auditor-cli/log-audit/tile-pool.ts`, 'noRestrictedImports');
    add(dir, 'uses-log-server-index', `${up}log-server/index.ts`, undefined);
    add(dir, 'uses-witness-index', `${up}witness/index.ts`, undefined);
    add(dir, 'uses-core', `${up}core/bytes.ts`, undefined);
  }
  return out;
}

describe('import rules (biome.json overrides)', () => {
  let scratch: string;
  let flagged: Map<string, Set<string>>;
  const planted = cases();

  beforeAll(() => {
    scratch = tempDir('fleetlog-import-rules-');
    copyFileSync(join(root, 'biome.json'), join(scratch, 'biome.json'));
    for (const c of planted) {
      mkdirSync(join(scratch, dirname(c.file)), { recursive: true });
      writeFileSync(join(scratch, c.file), c.source);
    }
    let output: string;
    try {
      output = execFileSync(
        biome,
        ['lint', '--vcs-enabled=false', '--reporter=github', '--max-diagnostics=1000', '.'],
        {
          cwd: scratch,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    } catch (e) {
      output = (e as { stdout: string }).stdout; // exit code 1: diagnostics were found
    }
    flagged = new Map();
    for (const m of output.matchAll(/^::error title=lint\/\w+\/(\w+),file=([^,]+),/gm)) {
      const file = relative(scratch, m[2]!);
      if (!flagged.has(file)) flagged.set(file, new Set());
      flagged.get(file)!.add(m[1]!);
    }
  });

  it('covers every folder depth the repository has', () => {
    expect(tsDepths('core').length).toBeGreaterThan(0);
    expect(tsDepths('service').length).toBeGreaterThan(0);
    expect(tsDepths('simulator').length).toBeGreaterThan(0);
  });

  it.each(planted.map((c) => [c.file, c.rule] as const))('%s -> %s', (file, rule) => {
    const rules = [...(flagged.get(file) ?? [])];
    expect(rules).toEqual(rule ? [rule] : []);
  });
});
