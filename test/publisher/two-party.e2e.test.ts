// The two-party workflow end to end: the publisher and the countersigner are separate `fleetlog`
// processes, each in its own directory with its own key, against a real log-server and two real
// witnesses with a 2-of-2 quorum. The policy is made with the policy tools (nothing edited by
// hand); version 1 is published, then the fleet rotates to version 2 (new HSMs, new evidence).
// The written bundles verify offline with `audit proof`, and `audit fleet` trusts the log.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFleetBundle } from '../../core/audit/fleet-bundle.ts';
import { decodeEntry } from '../../core/entries/entry.ts';
import { runFleetlog, tempDir, type RunResult } from '../support/process.ts';
import { startNetwork, type Network } from './network.ts';

let net: Network;
let dir: string;
const pub = (): string => join(dir, 'publisher');
const cs = (): string => join(dir, 'countersigner');

async function ok(args: string[], cwd: string, input?: string): Promise<RunResult> {
  const r = await runFleetlog(args, { cwd, ...(input !== undefined ? { input } : {}) });
  expect(r.code, `fleetlog ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

beforeAll(async () => {
  dir = tempDir('fleetlog-publish-e2e-');
  for (const d of ['publisher', 'countersigner', 'vendor']) mkdirSync(join(dir, d));
  net = await startNetwork(dir);
}, 60_000);

afterAll(async () => {
  await net?.close();
});

/** One deployment, published as two parties; returns the publisher's written bundle path. */
async function publish(v: number, hsms: number): Promise<string> {
  const policy = join(dir, 'policy.txt');
  // Publisher: the deployment, its evidence, the draft (version from the log), the signature.
  await ok(
    [
      'sim',
      'ceremony',
      '--fleet',
      'fleet-a',
      '--vendor-key',
      join(dir, 'vendor/vendor.key'),
      '--hsms',
      String(hsms),
      '--out',
      `deployment-v${v}.json`,
    ],
    pub(),
  );
  await ok(
    ['fleet', 'evidence', '--description', `deployment-v${v}.json`, '--policy', policy, '--out', `evidence-v${v}.json`],
    pub(),
  );
  const draft = await ok(
    [
      'fleet',
      'draft',
      '--evidence',
      `evidence-v${v}.json`,
      '--log',
      net.logUrl,
      '--policy',
      policy,
      '--valid-for',
      '30d',
      '--out',
      `keyset-v${v}.draft.json`,
    ],
    pub(),
  );
  expect(draft.stdout).toContain(`key set version ${v}`);
  await ok(
    [
      'fleet',
      'sign',
      '--key',
      'publisher.key',
      '--draft',
      `keyset-v${v}.draft.json`,
      '--policy',
      policy,
      '--out',
      `keyset-v${v}.signed.json`,
    ],
    pub(),
  );
  // The publisher hands the signed key set and the evidence to the countersigner (another machine).
  for (const f of [`keyset-v${v}.signed.json`, `evidence-v${v}.json`]) copyFileSync(join(pub(), f), join(cs(), f));
  // Countersigner: reviews, confirms on standard input, counter-signs.
  const review = await ok(
    [
      'fleet',
      'countersign',
      '--key',
      'countersigner.key',
      '--draft',
      `keyset-v${v}.signed.json`,
      '--evidence',
      `evidence-v${v}.json`,
      '--policy',
      policy,
      '--log',
      net.logUrl,
      '--out',
      `keyset-v${v}.json`,
    ],
    cs(),
    'yes\n',
  );
  expect(review.stdout).toMatch(/fleet +fleet-a/);
  expect(review.stdout).not.toMatch(/FAIL/);
  if (v > 1) expect(review.stdout).toContain(`changes against version ${v - 1}`);
  copyFileSync(join(cs(), `keyset-v${v}.json`), join(pub(), `keyset-v${v}.json`));
  // Publisher: submit, wait for the 2-of-2 quorum, write the verified bundle.
  const submit = await ok(
    [
      'fleet',
      'submit',
      '--log',
      net.logUrl,
      '--policy',
      policy,
      '--token-file',
      join(dir, 'token'),
      '--evidence',
      `evidence-v${v}.json`,
      '--keyset',
      `keyset-v${v}.json`,
      '--wait',
      '--timeout',
      '30s',
      '--out',
      `fleet-a-v${v}.bundle`,
    ],
    pub(),
  );
  expect(submit.stdout).toMatch(/cosigned by w1, w2 meets the quorum/);
  if (v > 1) return join(pub(), `fleet-a-v${v}.bundle`);
  // A resubmission is a success.
  const again = await ok(
    [
      'fleet',
      'submit',
      '--log',
      net.logUrl,
      '--policy',
      policy,
      '--token-file',
      join(dir, 'token'),
      '--evidence',
      `evidence-v${v}.json`,
      '--keyset',
      `keyset-v${v}.json`,
    ],
    pub(),
  );
  expect(again.stdout).toContain('key set was already logged');
  return join(pub(), `fleet-a-v${v}.bundle`);
}

describe('fleet publishing as two parties (processes)', () => {
  it('builds the policy with the tools, publishes v1, rotates to v2, and the bundles verify', {
    timeout: 400_000,
  }, async () => {
    const policy = join(dir, 'policy.txt');
    writeFileSync(join(dir, 'token'), `${net.token}\n`, { mode: 0o600 });
    // Keys, each party in its own directory.
    const [p, c, h] = await Promise.all([
      ok(['keygen', '--type', 'publisher', '--name', 'publisher.example.com', '--out', 'publisher.key'], pub()),
      ok(
        ['keygen', '--type', 'countersigner', '--name', 'countersigner.example.org', '--out', 'countersigner.key'],
        cs(),
      ),
      ok(
        ['keygen', '--type', 'hsm-vendor', '--name', 'hsm-vendor.example', '--out', 'vendor.key'],
        join(dir, 'vendor'),
      ),
    ]);

    // The policy, with the tools; the witnesses' vkeys are read from the running witnesses.
    await ok(['policy', 'init', '--policy', policy, '--log-vkey', net.logVkey, '--log-url', net.logUrl], dir);
    for (const w of net.witnesses)
      await ok(['policy', 'add-witness', '--policy', policy, '--name', w.name, '--url', w.url], dir);
    await ok(['policy', 'set-quorum', '--policy', policy, '--threshold', 'all'], dir);
    await ok(['policy', 'add-role', '--policy', policy, '--role', 'publisher', '--vkey', p.stdout.trim()], dir);
    await ok(['policy', 'add-role', '--policy', policy, '--role', 'countersigner', '--vkey', c.stdout.trim()], dir);
    await ok(['policy', 'add-role', '--policy', policy, '--role', 'hsm-vendor', '--vkey', h.stdout.trim()], dir);
    const text = readFileSync(policy, 'utf8');
    for (const w of net.witnesses) expect(text).toContain(`witness ${w.name} ${w.vkey} ${w.url}`);
    expect(text.match(/^quorum /gm)).toHaveLength(1);
    await net.startLog(policy);
    const check = await ok(['policy', 'check', '--policy', policy, '--online'], dir);
    expect(check.stdout).toContain('witness w2 at');
    expect(check.stderr).not.toMatch(/WARNING/);

    const v1 = await publish(1, 3);
    const state = join(dir, 'client.state');
    const [proof1, fleet1] = await Promise.all([
      ok(['audit', 'proof', v1, '--policy', policy], dir),
      ok(['audit', 'fleet', '--log', net.logUrl, '--policy', policy, '--fleet', 'fleet-a', '--state', state], dir),
    ]);
    expect(proof1.stdout).toMatch(/VERIFIED/);
    expect(fleet1.stdout).toMatch(/TRUSTED: fleet fleet-a key set v1/);

    const v2 = await publish(2, 4);
    const bundle = parseFleetBundle(readFileSync(v2, 'utf8'));
    expect(decodeEntry(bundle.keyset.bytes)).toMatchObject({ fleetId: 'fleet-a', version: 2 });
    // Offline proof; the client that trusted v1 moves to v2 (steps 5 and 7 against its saved
    // state); the bundle for the CDN; the whole-log audit shows both deployments of the fleet.
    const [proof2, fleet2, cdn, audit] = await Promise.all([
      ok(['audit', 'proof', v2, '--policy', policy], dir),
      ok(['audit', 'fleet', '--log', net.logUrl, '--policy', policy, '--fleet', 'fleet-a', '--state', state], dir),
      ok(
        ['fleet', 'bundle', '--log', net.logUrl, '--fleet', 'fleet-a', '--policy', policy, '--out', 'cdn.bundle'],
        dir,
      ),
      ok(['audit', 'log', '--log', net.logUrl, '--policy', policy], dir),
    ]);
    expect(proof2.stdout).toMatch(/VERIFIED/);
    expect(fleet2.stdout).toMatch(/TRUSTED: fleet fleet-a key set v2/);
    expect(cdn.stdout).toContain('key set version 2');
    expect(existsSync(join(dir, 'cdn.bundle'))).toBe(true);
    expect(audit.stdout).toMatch(/fleet-a: 2 deployments, 2 key sets, latest key set v2/);
  });
});
