// `audit log` against a log that lies in ways the other auditor tests do not try: absurd tree
// sizes under a valid signature, bodies that are not what they claim, thousands of signature lines,
// an HTML page with 200, a gzip bomb, redirects to other schemes, and a tile that changes between
// runs. Each must end in a failed check at the right step or an error with a stable code (exit 2:
// could not check), quickly: never a crash, a hang, or a pass. Extension lines are C2SP
// tlog-checkpoint's own, so that checkpoint passes.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64 } from '../../core/bytes.ts';
import { isFleetlogError } from '../../core/errors.ts';
import { openCheckpoint } from '../../core/checkpoint.ts';
import { signNote } from '../../core/note/note.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { runFleetlog, tempDir } from '../support/process.ts';
import { SyntheticLog } from './support/synthetic-log.ts';
import { auditLog, type AuditLogResult } from '../../auditor-cli/log-audit/audit-log.ts';
import { replace, rewrite, type Reply, type Served } from './support/log-http.ts';
import { enc, genericScenario, serveScenario } from './support/scenario.ts';

const s = genericScenario(600);
let served: Served;
beforeAll(async () => {
  served = await serveScenario(() => s.log);
});
afterAll(() => served.close());

async function audit(): Promise<AuditLogResult | { error: string }> {
  try {
    return await auditLog({
      log: served.url,
      policy: s.policy,
      policyText: s.policyText,
      workers: 0,
      retries: 0,
      timeoutMs: 3000,
    });
  } catch (e) {
    if (isFleetlogError(e)) return { error: e.code };
    throw e;
  }
}

function outcome(r: AuditLogResult | { error: string }): string {
  if ('error' in r) return `error ${r.error}`;
  const failed = r.checks.find((c) => c.status === 'fail');
  return r.ok ? 'pass' : `fail step ${failed?.step}: ${failed?.reason.slice(0, 120)}`;
}

/** A checkpoint note signed by the log's real key and cosigned by every witness, for any body. */
function signed(body: string): string {
  const note = signNote(body, [s.log.signer]);
  const text = enc(body);
  return note + s.log.cosigners.map((c) => c.cosign(text, 1_700_000_000)).join('');
}
const root = toBase64(s.log.root());

/** Each case: what the log does, and how the audit must end (its outcome's start). */
const cases: [string, () => void, string][] = [
  [
    'size 2^63',
    () => (served.tamper = replace('checkpoint', text(signed(`${s.log.keys.origin}\n9223372036854775808\n${root}\n`)))),
    'fail step 3: bad_checkpoint',
  ],
  [
    'size 2^53-1',
    () => (served.tamper = replace('checkpoint', text(signed(`${s.log.keys.origin}\n9007199254740991\n${root}\n`)))),
    'error not_found',
  ],
  [
    'size 601 (one past)',
    () => (served.tamper = replace('checkpoint', text(signed(`${s.log.keys.origin}\n601\n${root}\n`)))),
    'error not_found',
  ],
  [
    'size 00600',
    () => (served.tamper = replace('checkpoint', text(signed(`${s.log.keys.origin}\n00600\n${root}\n`)))),
    'fail step 3: bad_checkpoint',
  ],
  [
    '10k signature lines',
    () =>
      (served.tamper = rewrite(
        'checkpoint',
        (b) => new TextDecoder().decode(b) + `— x ${'A'.repeat(80)}\n`.repeat(10_000),
      )),
    'fail step 3: bad_checkpoint',
  ],
  [
    'HTML 200',
    () =>
      (served.tamper = replace('checkpoint', {
        status: 200,
        body: '<html><body>hi</body></html>',
        contentType: 'text/html',
      })),
    'fail step 3: bad_note',
  ],
  [
    'bundle trailing bytes',
    () => (served.tamper = rewrite('tile/entries/000', (b) => new Uint8Array([...b, 0, 1, 65]))),
    'fail step 2',
  ],
  [
    'tile 31 bytes short',
    () => (served.tamper = rewrite('tile/0/000', (b) => b.subarray(0, b.length - 31))),
    'fail step 2',
  ],
  [
    'tile 32 bytes long',
    () => (served.tamper = rewrite('tile/0/000', (b) => new Uint8Array([...b, ...new Uint8Array(32)]))),
    'fail step 2',
  ],
  ['empty tile', () => (served.tamper = rewrite('tile/0/001', () => new Uint8Array(0))), 'fail step 2'],
  [
    '302 without Location',
    () => (served.tamper = replace('tile/0/000', { status: 302, body: '', contentType: 'text/plain' })),
    'error network',
  ],
  [
    'redirect to file:',
    () =>
      (served.tamper = replace('tile/0/000', { status: 302, body: '', headers: { location: 'file:///etc/passwd' } })),
    'error network',
  ],
  [
    'redirect to ftp:',
    () =>
      (served.tamper = replace('checkpoint', {
        status: 301,
        body: '',
        headers: { location: 'ftp://127.0.0.1/checkpoint' },
      })),
    'error network',
  ],
  [
    'redirect to itself (loop)',
    () => (served.tamper = replace('checkpoint', { status: 307, body: '', headers: { location: '/checkpoint' } })),
    'error network',
  ],
  [
    'redirect to a closed port',
    () =>
      (served.tamper = replace('tile/0/001', { status: 302, body: '', headers: { location: 'http://127.0.0.1:9/x' } })),
    'error network',
  ],
  [
    'gzip bomb tile',
    () =>
      (served.tamper = replace('tile/0/000', {
        status: 200,
        body: gzipSync(new Uint8Array(200 * 1024 * 1024)),
        headers: { 'content-encoding': 'gzip' },
      })),
    'fail step 2',
  ],
  [
    'gzip bomb checkpoint',
    () =>
      (served.tamper = replace('checkpoint', {
        status: 200,
        body: gzipSync(new Uint8Array(50 * 1024 * 1024)),
        headers: { 'content-encoding': 'gzip' },
      })),
    'fail step 3: bad_checkpoint',
  ],
  [
    'bad gzip',
    () =>
      (served.tamper = replace('tile/0/000', {
        status: 200,
        body: new Uint8Array([31, 139, 8, 0, 1, 2, 3]),
        headers: { 'content-encoding': 'gzip' },
      })),
    'error network',
  ],
  [
    'unknown content-encoding',
    () =>
      (served.tamper = replace('tile/0/000', {
        status: 200,
        body: new Uint8Array(8192),
        headers: { 'content-encoding': 'zstd' },
      })),
    'fail step 2',
  ],
  [
    'tile changes on every fetch',
    () => {
      let n = 0;
      served.tamper = rewrite('tile/0/001', (b) => {
        n++;
        const c = new Uint8Array(b);
        c[0] = n & 255;
        return c;
      });
    },
    'fail step 2',
  ],
  [
    'checkpoint with other origin',
    () => (served.tamper = replace('checkpoint', text(signed(`other.example/log\n600\n${root}\n`)))),
    'fail step 3: no_trusted_signature',
  ],
  [
    'checkpoint with extension lines',
    () => (served.tamper = replace('checkpoint', text(signed(`${s.log.keys.origin}\n600\n${root}\nextension line\n`)))),
    'pass',
  ],
  [
    'checkpoint root right size, wrong bytes',
    () =>
      (served.tamper = replace(
        'checkpoint',
        text(signed(`${s.log.keys.origin}\n600\n${toBase64(new Uint8Array(32))}\n`)),
      )),
    'fail step 2',
  ],
];
function text(body: string): Reply {
  return { status: 200, body, contentType: 'text/plain; charset=utf-8' };
}

describe('audit log against a hostile log', () => {
  it('honest baseline passes', async () => {
    served.tamper = undefined;
    expect(outcome(await audit())).toBe('pass');
  });
  for (const [name, set, expected] of cases) {
    it(`${name}: ${expected}`, async () => {
      set();
      const r = await audit();
      served.tamper = undefined;
      expect(outcome(r).startsWith(expected), outcome(r)).toBe(true);
    });
  }
});

describe('audit log --state when the log signs a checkpoint that contradicts the last audit', () => {
  it('fails at step 5 (exit 1) and keeps the log-signed note as evidence beside the state, once per note', async () => {
    const dir = tempDir('fleetlog-audit-evidence-');
    const policy = join(dir, 'policy');
    const state = join(dir, 'state.json');
    writeFileSync(policy, s.policyText);
    const args = ['audit', 'log', '--log', served.url, '--policy', policy, '--state', state, '--retries', '0'];
    const first = await runFleetlog(args);
    expect(first.code, first.stderr).toBe(0);
    const before = readFileSync(state, 'utf8');
    const evidenceFiles = (): string[] => readdirSync(dir).filter((f) => f.startsWith('state.json.evidence-'));
    expect(evidenceFiles()).toEqual([]); // none without a failed step 5

    // The same log key signs a second history that agrees on the first 300 entries only.
    const forked = new SyntheticLog(s.keys);
    for (let i = 0; i < 700; i++) forked.append(enc(i < 300 ? `entry number ${i}` : `forked entry ${i}`));
    const forkNote = forked.publish();
    const forkedServed = await serveScenario(() => forked);
    try {
      const forkArgs = args.map((a) => (a === served.url ? forkedServed.url : a));
      const [fork, again] = [await runFleetlog(forkArgs), await runFleetlog([...forkArgs, '--json'])];
      expect(fork.code).toBe(1);
      expect(fork.stdout).toMatch(/step 5 +FAIL/);
      // The state still holds the audited checkpoint: the next run fails the same way.
      expect(readFileSync(state, 'utf8')).toBe(before);
      expect(again.code).toBe(1);
      const files = evidenceFiles();
      expect(files).toHaveLength(1); // two runs, one note: one file
      const evidenceFile = join(dir, files[0]!);
      expect(fork.stdout).toContain(evidenceFile);
      expect((JSON.parse(again.stdout) as { evidenceFile?: string }).evidenceFile).toBe(evidenceFile);
      const evidence = JSON.parse(readFileSync(evidenceFile, 'utf8')) as {
        format: string;
        kind: string;
        auditedBefore: { size: number; rootHash: string };
        served: { size: number; note: string };
      };
      expect(evidence).toMatchObject({
        format: 'fleetlog-inconsistency-evidence/v1',
        kind: 'fork',
        auditedBefore: { size: 600, rootHash: Buffer.from(s.log.root(600)).toString('hex') },
        served: { size: 700, note: forkNote },
      });
      // Anyone with the log's key can check the evidence's signature.
      const opened = openCheckpoint(evidence.served.note, [ed25519NoteVerifier(s.keys.logVkey)]);
      expect(opened.checkpoint.size).toBe(700);
      // audit monitor keeps it too.
      rmSync(evidenceFile);
      const monitor = await runFleetlog(['audit', 'monitor', '--once', ...forkArgs.slice(2)]);
      expect(monitor.code).toBe(1);
      expect(monitor.stderr).toContain(evidenceFile);
      expect(JSON.parse(readFileSync(evidenceFile, 'utf8'))).toEqual(evidence);
    } finally {
      await forkedServed.close();
    }
  });
});
