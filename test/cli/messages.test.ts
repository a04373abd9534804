// Messages that must name their cause (issue 13, "Messages that must name their cause"), each
// through the real executable: against fleetlog's own log-server (in process, real HTTP) or, for
// the cosignature row, offline with a fleet bundle.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatKeyId, generateKey, KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519 } from '../../core/note/keys.ts';
import { addToken, initLog, startLogServer } from '../../log-server/index.ts';
import { silentLogger } from '../../service/logger.ts';
import {
  deployment,
  fleetBundleFor,
  keyset,
  makeFleetKeys,
  policyText,
  TEST_NOW,
} from '../auditor/support/fleet-fixtures.ts';
import { fleetScenario } from '../auditor/support/scenario.ts';
import { runFleetlog, tempDir } from '../support/process.ts';

describe('messages that name their cause', () => {
  const fleet = makeFleetKeys();
  const origin = 'messages.test/fleetlog';
  const dir = tempDir('fleetlog-messages-');
  const policy = join(dir, 'policy');
  let logVkey = '';
  let server: { url: string; close(): Promise<void> };
  let keysetBytes: Uint8Array = new Uint8Array();

  beforeAll(async () => {
    const dataDir = join(dir, 'log');
    logVkey = (await initLog({ dataDir, origin })).vkey;
    const token = await addToken({ dataDir, name: 'messages' });
    const text = [
      `log ${logVkey}`,
      'quorum none',
      `fleetlog publisher ${fleet.publisher.vkey}`,
      `fleetlog countersigner ${fleet.countersigner.vkey}`,
      `fleetlog hsm-vendor ${fleet.vendor.vkey}`,
      '',
    ].join('\n');
    writeFileSync(policy, text);
    server = await startLogServer({ dataDir, policyText: text, batchMaxWaitMs: 1, logger: silentLogger });
    const a = deployment(fleet, 'fleet-a');
    keysetBytes = keyset(fleet, 'fleet-a', 1, a);
    for (const entry of [a.bytes, keysetBytes]) {
      const res = await fetch(`${server.url}/add-entry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: Buffer.from(entry),
      });
      expect(res.status, await res.text()).toBe(200);
    }
  });
  afterAll(() => server?.close());

  it('a fleet id the server rejects: the server’s own message', async () => {
    const r = await runFleetlog(['audit', 'fleet', '--log', server.url, '--policy', policy, '--fleet', 'Fleet-A']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/answered HTTP 400: not a valid fleet id/);
  });

  it('a mistyped fleet id: no such fleet, with the fleets there are, and no scan of the log', async () => {
    const r = await runFleetlog([
      'audit',
      'fleet',
      '--log',
      server.url,
      '--policy',
      policy,
      '--fleet',
      'fleet-b',
      '--now',
      String(TEST_NOW),
      '--json',
    ]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      source: string;
      scanned?: number;
      checks: Array<{ step: number; reason: string }>;
    };
    expect(out.source).toBe('fleet-bundle');
    expect(out.scanned).toBeUndefined();
    expect(out.checks[0]).toMatchObject({
      step: 1,
      reason: 'the log has no fleet "fleet-b"; the fleets in the log are: fleet-a',
    });
  });

  it('a policy with CR LF line endings: the line, and that it is a Windows line ending', async () => {
    const crlf = join(dir, 'policy-crlf');
    writeFileSync(crlf, `log ${logVkey}\r\nquorum none\r\n`);
    const r = await runFleetlog(['audit', 'checkpoint', '--log', server.url, '--policy', crlf]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad_policy: policy line 1 ends with a Windows line ending (CR LF)');
  });

  it('a wrong log vkey: the expected and the found key IDs', async () => {
    const other = generateKey(origin, KEY_TYPE_ED25519);
    const wrong = join(dir, 'policy-wrong-key');
    writeFileSync(wrong, `log ${other.vkey}\nquorum none\n`);
    const r = await runFleetlog(['audit', 'checkpoint', '--log', server.url, '--policy', wrong]);
    expect(r.code).toBe(1);
    const expectedId = other.vkey.split('+')[1];
    const foundId = logVkey.split('+')[1];
    expect(r.stdout).toContain(
      `carries no signature from the log's key: expected key ID ${expectedId}, found key ID ${foundId}`,
    );
    expect(r.stdout).toMatch(/^FAILED: step 3: /m); // the failure line carries its reason
  });

  it('audit log: a step it skips carries its own title', async () => {
    const other = generateKey(origin, KEY_TYPE_ED25519);
    const wrong = join(dir, 'policy-wrong-key-log');
    writeFileSync(wrong, `log ${other.vkey}\nquorum none\n`);
    const r = await runFleetlog(['audit', 'log', '--log', server.url, '--policy', wrong]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'step 2  SKIP  [L3] every entry included in the checkpoint (leaf hashes and root recomputed): the checkpoint is not trusted',
    );
  });

  it("audit inclusion --entry without --index finds the index through the log's lookup", async () => {
    const entry = join(dir, 'keyset.entry');
    writeFileSync(entry, keysetBytes);
    const r = await runFleetlog(['audit', 'inclusion', '--log', server.url, '--policy', policy, '--entry', entry]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`audit inclusion ${server.url} index 1 (found through the log)`);
    expect(r.stdout).toMatch(/step 2 {2}PASS/);
    const missing = await runFleetlog([
      'audit',
      'inclusion',
      '--log',
      server.url,
      '--policy',
      policy,
      '--leaf-hash',
      '00'.repeat(32),
      '--json',
    ]);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error.message).toMatch(/found no entry with leaf hash 0{64}.*needs --index/);
  });

  it('a cosignature by an unexpected key: which witness signed with which key ID', async () => {
    const s = fleetScenario();
    // The policy pins another key under witness w1's name: its real cosignature no longer counts.
    const stranger = generateKey(s.keys.witnesses[0]!.name, KEY_TYPE_COSIGNATURE);
    const text = policyText(s.keys, { quorum: 3, fleet: s.fleet }).replace(s.keys.witnesses[0]!.vkey, stranger.vkey);
    const p = join(dir, 'policy-witness');
    writeFileSync(p, text);
    const bundle = join(dir, 'fleet-a.bundle');
    writeFileSync(bundle, fleetBundleFor(s.log, 'fleet-a')!);
    const r = await runFleetlog(['audit', 'proof', bundle, '--policy', p, '--now', String(TEST_NOW)]);
    expect(r.code).toBe(1);
    const real = formatKeyId(Number.parseInt(s.keys.witnesses[0]!.vkey.split('+')[1]!, 16));
    const pinned = stranger.vkey.split('+')[1];
    expect(r.stdout).toContain(`witness w1 signed with key ID ${real}, but the policy pins key ID ${pinned}`);
  });
});
