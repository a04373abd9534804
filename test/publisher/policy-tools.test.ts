// Building and checking policies with the tools (core/policy/policy-edit.ts and `fleetlog policy`),
// `log serve` refusing a policy for another log or no policy at all, and `log load --print-policy`
// appending to a real policy without a second quorum line.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519, generateKey, type KeyType } from '../../core/note/keys.ts';
import { addRole, addWitness, initPolicy, policyFindings, setQuorum } from '../../core/policy/policy-edit.ts';
import { parsePolicy } from '../../core/policy/policy.ts';
import { initLog, openLog } from '../../log-server/index.ts';
import { loadKeys, loadPolicyLines } from '../../log-server/load/keys.ts';
import { writeKeyFile } from '../../service/key-file.ts';
import { silentLogger } from '../../service/logger.ts';
import { codeOf } from '../support/error-code.ts';
import { runFleetlog, tempDir } from '../support/process.ts';

const vkey = (name: string, type: KeyType = KEY_TYPE_ED25519): string => generateKey(name, type).vkey;
const logVkey = vkey('log.example.com/fleet');
const w1 = vkey('w1.example', KEY_TYPE_COSIGNATURE);
const w2 = vkey('w2.example', KEY_TYPE_COSIGNATURE);

function complete(): string {
  let t = initPolicy(logVkey, 'http://127.0.0.1:8080');
  t = addWitness(t, 'w1', w1, 'http://127.0.0.1:8081');
  t = addWitness(t, 'w2', w2, 'http://127.0.0.1:8082');
  t = setQuorum(t, '2', undefined);
  t = addRole(t, 'publisher', vkey('publisher.example'));
  t = addRole(t, 'countersigner', vkey('countersigner.example'));
  return addRole(t, 'hsm-vendor', vkey('vendor.example'));
}

describe('policy edits', () => {
  it('build a policy that parses, with one quorum line after the witnesses and no findings', () => {
    const text = complete();
    const p = parsePolicy(text);
    expect(p.quorum).toBe('quorum-witnesses');
    expect(p.groups.get('quorum-witnesses')).toMatchObject({ threshold: 2, members: ['w1', 'w2'] });
    expect(text.match(/^quorum /gm)).toHaveLength(1);
    expect(text).not.toContain('no witnesses yet');
    expect(policyFindings(p)).toEqual([]);
    // Setting the quorum again replaces it.
    const any = setQuorum(text, 'any', ['w2']);
    expect(parsePolicy(any).groups.get('quorum-witnesses')).toMatchObject({ threshold: 1, members: ['w2'] });
    expect(any.match(/^(quorum|group) /gm)).toHaveLength(2);
  });

  it('refuse edits that would break the file', () => {
    const text = complete();
    expect(codeOf(() => addWitness(text, 'w1', vkey('w3.example', KEY_TYPE_COSIGNATURE), undefined))).toBe(
      'bad_policy',
    );
    expect(codeOf(() => addWitness(text, 'w3', w1, undefined))).toBe('bad_policy'); // the same key twice
    expect(codeOf(() => addWitness(text, 'w3', vkey('x'), undefined))).toBe('bad_key'); // not a cosignature key
    expect(codeOf(() => addRole(text, 'publisher', w1))).toBe('bad_key');
    expect(codeOf(() => setQuorum(text, '3', undefined))).toBe('usage');
    expect(codeOf(() => setQuorum(text, '1', ['w9']))).toBe('usage');
    expect(codeOf(() => initPolicy(w1, undefined))).toBe('bad_key');
  });

  it('warn loudly on quorum none, and find a quorum no reachable witness can meet', () => {
    const none = parsePolicy(initPolicy(logVkey, 'http://127.0.0.1:8080'), { partial: true });
    expect(
      policyFindings(none)
        .map((f) => f.message)
        .join('\n'),
    ).toMatch(/QUORUM NONE/);
    const noUrl = setQuorum(addWitness(initPolicy(logVkey, undefined), 'w1', w1, undefined), 'all', undefined);
    const found = policyFindings(
      parsePolicy(`${noUrl}fleetlog publisher ${vkey('p')}\nfleetlog countersigner ${vkey('c')}\n`),
    );
    expect(
      found
        .filter((f) => f.level === 'error')
        .map((f) => f.message)
        .join('\n'),
    ).toMatch(/can never be met[\s\S]*no fleetlog hsm-vendor key/);
  });

  it('log load --print-policy lines append to a real policy without a second quorum line', () => {
    const appended = complete() + loadPolicyLines(loadKeys('s'), 's');
    expect(appended.match(/^quorum /gm)).toHaveLength(1);
    // The load keys join the pinned keys (two publishers now), and the whole still parses.
    expect(parsePolicy(appended).publishers).toHaveLength(2);
  });
});

describe('log serve and its policy', () => {
  it('refuses a policy whose log line names another log', async () => {
    const dir = tempDir('fleetlog-policy-serve-');
    const dataDir = join(dir, 'log');
    const { vkey: own } = await initLog({ dataDir, origin: 'log.example.com/fleet' });
    const other = initPolicy(vkey('other.example/log'), undefined);
    await expect(openLog({ dataDir, policyText: other, logger: silentLogger })).rejects.toMatchObject({
      code: 'bad_policy',
      message: expect.stringMatching(/log line names other\.example\/log, not this log/),
    });
    const sameOriginOtherKey = initPolicy(vkey('log.example.com/fleet'), undefined);
    await expect(openLog({ dataDir, policyText: sameOriginOtherKey, logger: silentLogger })).rejects.toMatchObject({
      code: 'bad_policy',
    });
    const log = await openLog({ dataDir, policyText: initPolicy(own, undefined), logger: silentLogger });
    await log.close();
  });

  it('refuses to start without a policy unless --no-witnesses says so (process)', async () => {
    const dir = tempDir('fleetlog-policy-serve-cli-');
    await initLog({ dataDir: join(dir, 'log'), origin: 'log.example.com/fleet' });
    const r = await runFleetlog(['log', 'serve', '--data', join(dir, 'log'), '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^fleetlog: usage: no --policy: .*--no-witnesses to run it unwitnessed on purpose/m);
  });

  it('refuses a policy with quorum none unless --no-witnesses says so, and --no-witnesses with a quorum (process)', async () => {
    const dir = tempDir('fleetlog-policy-serve-none-');
    const dataDir = join(dir, 'log');
    const { vkey: own } = await initLog({ dataDir, origin: 'log.example.com/fleet' });
    const none = join(dir, 'none.txt');
    writeFileSync(none, `log ${own}\nquorum none\n`);
    const serve = (...extra: string[]) =>
      runFleetlog(['log', 'serve', '--data', dataDir, '--listen', '127.0.0.1:0', ...extra]);
    const refused = await serve('--policy', none);
    expect(refused.code).toBe(2);
    // One line with the stable code and what to do (then the hint every usage error gets).
    const [line, hint, ...rest] = refused.stderr.trim().split('\n');
    expect(line).toMatch(
      /^fleetlog: usage: the policy says quorum none: .*give the policy witnesses and a quorum, or pass --no-witnesses/,
    );
    expect(hint).toBe("run 'fleetlog log serve --help' for its options");
    expect(rest).toEqual([]);
    // The same from a config file without the setting.
    const conf = join(dir, 'log.conf');
    writeFileSync(conf, `data ${dataDir}\nlisten 127.0.0.1:0\npolicy ${none}\n`);
    const fromConfig = await runFleetlog(['log', 'serve', '--config', conf]);
    expect(fromConfig.code).toBe(2);
    expect(fromConfig.stderr).toMatch(/^fleetlog: usage: the policy says quorum none: /m);

    const withQuorum = join(dir, 'quorum.txt');
    writeFileSync(withQuorum, complete());
    const contradiction = await serve('--policy', withQuorum, '--no-witnesses');
    expect(contradiction.code).toBe(2);
    expect(contradiction.stderr).toMatch(/^fleetlog: usage: --no-witnesses contradicts the policy/m);
  });
});

describe('fleetlog policy (process)', () => {
  it('add-witness refuses a duplicate name and leaves the file unchanged; check warns loudly on quorum none; key vkey recovers a vkey', async () => {
    const dir = tempDir('fleetlog-policy-cli-');
    const file = join(dir, 'policy.txt');
    writeFileSync(file, complete());
    const before = readFileSync(file, 'utf8');
    const r = await runFleetlog([
      'policy',
      'add-witness',
      '--policy',
      file,
      '--name',
      'w2',
      '--vkey',
      vkey('w9', KEY_TYPE_COSIGNATURE),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^fleetlog: bad_policy: policy line \d+: name w2 is already defined/m);
    expect(readFileSync(file, 'utf8')).toBe(before);
    writeFileSync(file, initPolicy(logVkey, 'http://127.0.0.1:8080'));
    const key = generateKey('publisher.example', KEY_TYPE_ED25519);
    writeKeyFile(join(dir, 'publisher.key'), key.skey);
    const [check, vk] = await Promise.all([
      runFleetlog(['policy', 'check', '--policy', file]),
      runFleetlog(['key', 'vkey', join(dir, 'publisher.key')]),
    ]);
    expect(vk.stdout).toBe(`${key.vkey}\n`);
    expect(check.code).toBe(0);
    expect(check.stderr).toMatch(/WARNING +QUORUM NONE: checkpoints need no witness cosignature/);
  });
});
