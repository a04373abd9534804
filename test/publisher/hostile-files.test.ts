// The files of two-party publishing come from the other party. Whatever a path names (a symlink
// to /dev/zero, a FIFO, a huge file) and whatever the bytes are (invalid UTF-8, terminal escape
// sequences), `fleet sign` must answer one clean line with a stable code, quickly, and must not
// write through a symlink it was given as --out.
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KEY_TYPE_ED25519, generateKey } from '../../core/note/keys.ts';
import { writeKeyFile } from '../../service/key-file.ts';
import { runFleetlog, tempDir } from '../support/process.ts';

let dir: string;
const f = (name: string): string => join(dir, name);
const DRAFT =
  '{"evidence":"56dde268166187bc6dda20a505fc51defbb97575ec2dec1045540a9518121f6a","fleetId":"fleet-1","keys":[{"alg":"ed25519","hsmId":"hsm-1","publicKey":"6e7a1cdd29b0b78fd13af4c5598feff4ef2a97166e3ca6f2e4fbfccd80505bf1"}],"notAfter":1731536000,"notBefore":1700000000,"type":"fleetlog/fleet-keyset/v1","version":1}\n';

const sign = (draft: string, out = 'out.json') =>
  runFleetlog(['fleet', 'sign', '--key', 'publisher.key', '--draft', draft, '--out', out], {
    cwd: dir,
    timeoutMs: 60_000,
  });

beforeAll(() => {
  dir = tempDir('fleetlog-hostile-files-');
  writeKeyFile(f('publisher.key'), generateKey('publisher.example.com', KEY_TYPE_ED25519).skey);
  writeFileSync(f('draft.json'), DRAFT);
});

describe('fleet sign with hostile input files', () => {
  it('signs the good draft (the fixture is right)', async () => {
    const r = await sign('draft.json', 'good.json');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(f('good.json'), 'utf8')).toContain('"publisherSignature"');
  });

  it('a draft that is a symlink to /dev/zero is refused, not read forever', async () => {
    symlinkSync('/dev/zero', f('zero.json'));
    const r = await sign('zero.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^fleetlog: io: draft zero\.json is not a regular file$/m);
  });

  it('a draft that is a FIFO with no writer is refused, not waited on', async () => {
    execFileSync('mkfifo', [f('fifo.json')]);
    const r = await sign('fifo.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^fleetlog: io: draft fifo\.json is not a regular file$/m);
  });

  it('a draft over 1 MiB (sparse, 8 GiB) is refused as too_large', async () => {
    writeFileSync(f('huge.json'), '');
    truncateSync(f('huge.json'), 8 * 1024 ** 3);
    const r = await sign('huge.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^fleetlog: too_large: draft huge\.json is larger than 1048576 bytes$/m);
  });

  it('a draft with bytes that are not UTF-8 is refused as bad_encoding, not repaired', async () => {
    // 0xff inside a JSON string: toString('utf8') would quietly make it U+FFFD.
    const bytes = Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    writeFileSync(f('latin1.json'), bytes);
    const r = await sign('latin1.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fleetlog: bad_encoding: draft latin1\.json is not valid UTF-8$/m);
  });

  it('terminal escape sequences quoted from a malformed draft are printed escaped', async () => {
    // Clear the screen, retitle the window, and a right-to-left override: JSON.parse quotes them.
    writeFileSync(f('escapes.json'), '\x1b[2J\x1b]0;owned\x07\u202e{"fleetId":"x"}');
    const r = await sign('escapes.json');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fleetlog: bad_entry: draft escapes\.json is not valid JSON/m);
    expect(r.stderr).toContain('\\u{1b}[2J');
    const controls = [...r.stderr].filter((c) => (c < ' ' && c !== '\n') || c === '\x7f' || c === '\u202e');
    expect(controls).toEqual([]);
  });

  it('deeply nested JSON is refused with a code, not a crash', async () => {
    writeFileSync(f('deep.json'), `${'['.repeat(500_000)}${']'.repeat(500_000)}`);
    writeFileSync(f('deep2.json'), `{"fleetId":${'['.repeat(400_000)}${']'.repeat(400_000)}}`);
    const [a, b] = [await sign('deep.json'), await sign('deep2.json')];
    expect(a.code, a.stderr).toBe(1);
    expect(a.stderr).toMatch(/^fleetlog: bad_entry: /m);
    expect(b.code, b.stderr).toBe(1);
    expect(b.stderr).toMatch(/^fleetlog: bad_entry: /m);
  });

  it('a repeated member keeps its last value, as §6.4 says, and the signature covers that', async () => {
    writeFileSync(f('dup.json'), DRAFT.replace('"fleetId":"fleet-1",', '"fleetId":"fleet-1","fleetId":"fleet-2",'));
    const r = await sign('dup.json', 'dup.out');
    expect(r.code, r.stderr).toBe(0);
    const out = readFileSync(f('dup.out'), 'utf8');
    expect(out).toContain('"fleetId":"fleet-2"');
    expect(out).not.toContain('fleet-1');
  });

  it('an --out that is a symlink replaces the link, never the file it points to', async () => {
    writeFileSync(f('victim.txt'), 'precious\n');
    symlinkSync(f('victim.txt'), f('link.json'));
    const r = await sign('draft.json', 'link.json');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(f('victim.txt'), 'utf8')).toBe('precious\n');
    expect(lstatSync(f('link.json')).isSymbolicLink()).toBe(false);
    expect(readFileSync(f('link.json'), 'utf8')).toContain('"publisherSignature"');
  });
});
