// Every refusal of the publishing workflow, from the command line: each must exit with its
// documented code and a one-line message with a stable error code, write no output file, and
// add no entry to the log. The fixtures (keys, policy, a published version 1) are made in-process
// with the same library the commands use; only the refused command runs as a process.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../../core/entries/canonical-json.ts';
import { KEY_TYPE_ED25519, generateKey, parseSignerKey, type SignerKey } from '../../core/note/keys.ts';
import { addRole, addWitness, initPolicy, setQuorum } from '../../core/policy/policy-edit.ts';
import { parsePolicy, type Policy } from '../../core/policy/policy.ts';
import {
  countersign,
  countersignKeyset,
  draftKeyset,
  evidenceFromDescription,
  formatKeysetDraft,
  PublishLogClient,
  reviewForCountersign,
  signAsPublisher,
  submitKeyset,
  type KeysetDraft,
} from '../../publisher/index.ts';
import { writeKeyFile } from '../../service/key-file.ts';
import { simulatedDeploymentDescription } from '../../simulator/deployment-description.ts';
import { freePort, runFleetlog, tempDir, type RunResult } from '../support/process.ts';
import { startNetwork, type Network } from './network.ts';

let net: Network;
let dir: string;
let policy: Policy;
let publisher: SignerKey;
let counter: SignerKey;
const vendorSkey = generateKey('hsm-vendor.example', KEY_TYPE_ED25519).skey;
const now = (): number => Math.floor(Date.now() / 1000);
const f = (name: string): string => join(dir, name);

async function evidence(
  hsms: number,
): Promise<{ bytes: Uint8Array; evidence: ReturnType<typeof evidenceFromDescription>['evidence'] }> {
  const description = await simulatedDeploymentDescription({
    fleetId: 'fleet-r',
    hsms,
    regions: ['eu', 'us'],
    vendorSkey,
    now: now(),
  });
  return evidenceFromDescription(description as Json, policy);
}

function signedDraft(
  ev: Awaited<ReturnType<typeof evidence>>,
  version: number,
  notBefore = now(),
  notAfter = now() + 86_400,
): KeysetDraft {
  return signAsPublisher(
    draftKeyset({ evidence: ev.evidence, evidenceBytes: ev.bytes, version, notBefore, notAfter }),
    publisher,
  );
}

const errorLine = (r: RunResult): string | undefined => r.stderr.split('\n').find((l) => l.startsWith('fleetlog: '));

/** Runs a command that must be refused; checks exit code, message, and that nothing was written or logged. */
async function refused(args: string[], exit: number, message: RegExp, out?: string): Promise<RunResult> {
  const before = await net.size();
  const r = await runFleetlog(args, { cwd: dir, env: { FLEETLOG_TOKEN: net.token } });
  expect(r.code, r.stderr).toBe(exit);
  // One line with the stable code (a usage error adds a pointer to --help on the next line).
  const line = errorLine(r);
  expect(line).toMatch(message);
  expect(line).toMatch(/^fleetlog: [a-z_]+: /);
  if (out !== undefined) expect(existsSync(f(out)), `${out} must not exist`).toBe(false);
  expect(await net.size()).toBe(before);
  return r;
}

const countersignArgs = (draft: string, ev: string, out: string, log = net.logUrl): string[] => [
  'fleet',
  'countersign',
  '--yes',
  '--key',
  'countersigner.key',
  '--draft',
  draft,
  '--evidence',
  ev,
  '--policy',
  'policy.txt',
  '--log',
  log,
  '--out',
  out,
];
const submitArgs = (ev: string, keyset: string, log = net.logUrl): string[] => [
  'fleet',
  'submit',
  '--log',
  log,
  '--policy',
  'policy.txt',
  '--evidence',
  ev,
  '--keyset',
  keyset,
];

beforeAll(async () => {
  dir = tempDir('fleetlog-publish-refusals-');
  mkdirSync(dir, { recursive: true });
  net = await startNetwork(dir);
  const publisherSkey = generateKey('publisher.example.com', KEY_TYPE_ED25519).skey;
  const counterSkey = generateKey('countersigner.example.org', KEY_TYPE_ED25519).skey;
  publisher = parseSignerKey(publisherSkey);
  counter = parseSignerKey(counterSkey);
  writeKeyFile(f('publisher.key'), publisherSkey);
  writeKeyFile(f('countersigner.key'), counterSkey);
  let text = initPolicy(net.logVkey, net.logUrl);
  for (const w of net.witnesses) text = addWitness(text, w.name, w.vkey, w.url);
  text = setQuorum(text, 'all', undefined);
  text = addRole(text, 'publisher', publisher.vkey);
  text = addRole(text, 'countersigner', counter.vkey);
  text = addRole(text, 'hsm-vendor', parseSignerKey(vendorSkey).vkey);
  writeFileSync(f('policy.txt'), text);
  policy = parsePolicy(text);
  await net.startLog(f('policy.txt'));
  // Version 1 is published, through the library.
  const ev = await evidence(2);
  const log = new PublishLogClient(net.logUrl);
  const review = await reviewForCountersign({
    draft: signedDraft(ev, 1),
    evidenceBytes: ev.bytes,
    policy,
    key: counter,
    log,
  });
  const { bytes } = countersign(review, counter);
  await submitKeyset({
    log,
    token: net.token,
    policy,
    evidenceBytes: ev.bytes,
    keysetBytes: bytes,
    wait: { timeoutMs: 30_000 },
  });
  writeFileSync(f('evidence-v1.json'), ev.bytes);
  writeFileSync(f('keyset-v1.json'), bytes);
  // A correct version 2, signed by the publisher.
  const ev2 = await evidence(3);
  writeFileSync(f('evidence-v2.json'), ev2.bytes);
  writeFileSync(f('keyset-v2.signed.json'), formatKeysetDraft(signedDraft(ev2, 2)));
  // The same, counter-signed, for the submit refusals.
  writeFileSync(f('keyset-v2.json'), countersignKeyset(signedDraft(ev2, 2), counter).bytes);
  // Version 1 again (not increasing), and an expired version 3, both complete: signed outside the checks.
  writeFileSync(f('keyset-v1b.signed.json'), formatKeysetDraft(signedDraft(ev2, 1)));
  writeFileSync(f('keyset-v1b.json'), countersignKeyset(signedDraft(ev2, 1), counter).bytes);
  const expired = signedDraft(ev2, 3, now() - 10 * 86_400, now() - 86_400);
  writeFileSync(f('keyset-expired.signed.json'), formatKeysetDraft(expired));
  writeFileSync(f('keyset-expired.json'), countersignKeyset(expired, counter).bytes);
}, 90_000);

afterAll(async () => {
  await net?.close();
});

describe('refusals of fleet countersign and fleet submit', () => {
  it('a draft edited after the publisher signed: countersign exits 1, bad_signature', async () => {
    const signed = JSON.parse(readFileSync(f('keyset-v2.signed.json'), 'utf8')) as { notAfter: number };
    signed.notAfter += 86_400;
    writeFileSync(f('edited.signed.json'), JSON.stringify(signed));
    await refused(
      countersignArgs('edited.signed.json', 'evidence-v2.json', 'out-edited.json'),
      1,
      /^fleetlog: bad_signature: publisher signature: .*changed after the publisher signed/,
      'out-edited.json',
    );
  });

  it('a countersign with a key the policy does not pin: exits 2, forbidden', async () => {
    const args = countersignArgs('keyset-v2.signed.json', 'evidence-v2.json', 'out-key.json');
    args[args.indexOf('countersigner.key')] = 'publisher.key';
    await refused(
      args,
      2,
      /^fleetlog: forbidden: the key publisher\.example\.com\+.* is not a countersigner key pinned by the policy/,
      'out-key.json',
    );
  });

  it('evidence that does not match the key set: countersign and submit exit 1, entry_rejected', async () => {
    await Promise.all([
      refused(
        countersignArgs('keyset-v2.signed.json', 'evidence-v1.json', 'out-ev.json'),
        1,
        /^fleetlog: entry_rejected: evidence reference: the key set references evidence/,
        'out-ev.json',
      ),
      refused(submitArgs('evidence-v1.json', 'keyset-v2.json'), 1, /^fleetlog: entry_rejected: evidence reference/),
    ]);
  });

  it('a version that does not increase: countersign and submit exit 1, rollback', async () => {
    await Promise.all([
      refused(
        countersignArgs('keyset-v1b.signed.json', 'evidence-v2.json', 'out-ver.json'),
        1,
        /^fleetlog: rollback: version: version 1 does not increase over the log's current version 1/,
        'out-ver.json',
      ),
      refused(submitArgs('evidence-v2.json', 'keyset-v1b.json'), 1, /^fleetlog: rollback: version/),
    ]);
  });

  it('an expired validity window: countersign and submit exit 1, entry_rejected', async () => {
    await Promise.all([
      refused(
        countersignArgs('keyset-expired.signed.json', 'evidence-v2.json', 'out-exp.json'),
        1,
        /^fleetlog: entry_rejected: validity window: the key set expired at/,
        'out-exp.json',
      ),
      refused(
        submitArgs('evidence-v2.json', 'keyset-expired.json'),
        1,
        /^fleetlog: entry_rejected: validity window: the key set expired/,
      ),
    ]);
  });

  it('an unreachable log: countersign, submit and draft exit 2, unavailable', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    await Promise.all([
      refused(
        countersignArgs('keyset-v2.signed.json', 'evidence-v2.json', 'out-net.json', closed),
        2,
        /^fleetlog: unavailable: the log at http:\/\/127\.0\.0\.1:\d+ did not answer/,
        'out-net.json',
      ),
      refused(
        submitArgs('evidence-v2.json', 'keyset-v2.json', closed),
        2,
        /^fleetlog: unavailable: the log at .* did not answer/,
      ),
      refused(
        [
          'fleet',
          'draft',
          '--evidence',
          'evidence-v2.json',
          '--log',
          closed,
          '--policy',
          'policy.txt',
          '--out',
          'out-draft.json',
        ],
        2,
        /^fleetlog: unavailable:/,
        'out-draft.json',
      ),
    ]);
  });

  it('a review that is not confirmed: countersign exits 2 and writes nothing', async () => {
    const args = countersignArgs('keyset-v2.signed.json', 'evidence-v2.json', 'out-no.json').filter(
      (a) => a !== '--yes',
    );
    const before = await net.size();
    const r = await runFleetlog(args, { cwd: dir, input: 'no\n' });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('PASS version: version 2 follows');
    expect(errorLine(r)).toMatch(/^fleetlog: usage: not counter-signed: the review was not confirmed/);
    expect(existsSync(f('out-no.json'))).toBe(false);
    expect(await net.size()).toBe(before);
  });

  it('submit --wait without the quorum: exits 2 naming the witness that did not cosign, writes no bundle', async () => {
    await net.witnesses[1]!.server.close();
    const r = await runFleetlog(
      [...submitArgs('evidence-v2.json', 'keyset-v2.json'), '--wait', '--timeout', '3s', '--out', 'out.bundle'],
      {
        cwd: dir,
        env: { FLEETLOG_TOKEN: net.token },
      },
    );
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(
      /^fleetlog: unavailable: no published checkpoint covering entry \d+ met the policy's quorum \(quorum-witnesses\) within 3 s; not cosigned by: w2 \(/,
    );
    expect(r.stderr).not.toMatch(/not cosigned by: w1/);
    expect(existsSync(f('out.bundle'))).toBe(false);
  });
});
