// The CLI's conventions, run as a user runs them (the real executable): a usage error is one line
// and a pointer to --help; --json errors are JSON on stdout with the same exit code; --help marks
// required options; durations, hidden old spellings, and --config on the real servers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initLog } from '../../log-server/index.ts';
import { initWitness } from '../../witness/index.ts';
import { freePort, runFleetlog, startFleetlogServer, tempDir } from '../support/process.ts';

describe('fleetlog CLI conventions', () => {
  it('a usage error is one line plus a pointer to --help, exit 2; with --json it is also JSON on stdout', async () => {
    const [plain, json, typo, unknown] = await Promise.all([
      runFleetlog(['audit', 'checkpoint', '--log', 'http://127.0.0.1:9']),
      runFleetlog(['audit', 'checkpoint', '--log', 'http://127.0.0.1:9', '--json']),
      runFleetlog(['audit', 'fleet', '--polcy', 'p']),
      runFleetlog(['audit', 'fleat']),
    ]);
    expect(plain.code).toBe(2);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toBe(
      "fleetlog: usage: required option '--policy <file>' not specified\nrun 'fleetlog audit checkpoint --help' for its options\n",
    );

    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'usage', message: "required option '--policy <file>' not specified" },
    });

    // A mistyped option is the error, not the required option it was meant to be.
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      "fleetlog: usage: unknown option '--polcy' (did you mean --policy?)\nrun 'fleetlog audit fleet --help' for its options\n",
    );

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      "fleetlog: usage: unknown command 'fleat' (did you mean fleet?)\nrun 'fleetlog audit --help' for its options\n",
    );
  });

  it('an error inside a command under --json is JSON on stdout with the exit code of the error', async () => {
    const dir = tempDir('fleetlog-cli-json-');
    const policy = join(dir, 'policy');
    writeFileSync(policy, 'quorum none\n');
    // Nothing listens on port 9: a network error, exit 2.
    const r = await runFleetlog(
      ['audit', 'checkpoint', '--log', 'http://127.0.0.1:9', '--policy', policy, '--json', '--retries', '0'],
      {},
    );
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(out.error.code).toBe('network');
    expect(out.error.message).toMatch(/127\.0\.0\.1:9/);
    expect(r.stderr).toMatch(/^fleetlog: network: /);
  });

  it('--help marks required options and shows durations with units', async () => {
    const r = await runFleetlog(['log', 'serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--data <dir>\s+data directory \(made by log init\) \(required\)/);
    expect(r.stdout).toMatch(/--witness-timeout <duration>[\s\S]*?\(default:\s+10s\)/);
    expect(r.stdout).toMatch(/--threads <n>/);
    expect(r.stdout).toMatch(/--config <file>/);
    // Old spellings are accepted but not advertised.
    expect(r.stdout).not.toMatch(/-ms|validation-workers/);
    const proof = await runFleetlog(['audit', 'proof', '--help']);
    expect(proof.stdout).not.toMatch(/--timeout|--retries/); // offline: no network options
  });

  it('a bad duration names the option and the syntax; an old -ms spelling still works, with a note', async () => {
    const empty = tempDir('fleetlog-cli-nolog-');
    const bad = await runFleetlog(['log', 'serve', '--data', empty, '--batch-max-wait', '5x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/option '--batch-max-wait <duration>' argument '5x' is invalid.*500ms, 10s/);
    // The hidden alias parses, notes the new spelling, and the command then fails for its real reason
    // (this directory holds no log: the message says to run log init first).
    const old = await runFleetlog(['log', 'serve', '--data', empty, '--no-witnesses', '--witness-timeout-ms', '500']);
    expect(old.stderr).toContain('--witness-timeout-ms is deprecated and will be removed; use --witness-timeout 10s');
    expect(old.stderr).toContain(`${empty} holds no log`);
    expect(old.stderr).toContain(`fleetlog log init --data ${empty} --origin <origin>`);
    expect(old.code).toBe(2);
  });

  it('the old spellings --url, --validation-workers and --workers are still accepted, each with a note', async () => {
    const empty = tempDir('fleetlog-cli-alias-');
    const policy = join(empty, 'policy');
    writeFileSync(policy, 'quorum none\n');
    const [load, serve, audit] = await Promise.all([
      runFleetlog(['log', 'load', '--url', 'http://127.0.0.1:9', '--token', 't', '--count', '1', '--seed', 's']),
      runFleetlog(['log', 'serve', '--data', empty, '--no-witnesses', '--validation-workers', '2']),
      runFleetlog([
        'audit',
        'log',
        '--log',
        'http://127.0.0.1:9',
        '--policy',
        policy,
        '--workers',
        '1',
        '--retries',
        '0',
      ]),
    ]);
    // Each got past option parsing to its real work, which fails here for a reason of its own.
    expect(load.stderr).toContain('--url is deprecated and will be removed; use --log URL');
    expect(load.stderr).toContain('load: submitting 2 entries');
    expect(serve.stderr).toContain('--validation-workers is deprecated and will be removed; use --threads N');
    expect(serve.stderr).toContain('holds no log');
    expect(audit.stderr).toContain('--workers is deprecated and will be removed; use --threads N');
    expect(audit.stderr).toMatch(/fleetlog: network: /);
    for (const r of [load, serve, audit]) expect(r.code).toBe(2);
  });

  it('log serve and witness serve run from a --config file; a flag overrides it', async () => {
    const dir = tempDir('fleetlog-cli-config-');
    const logDir = join(dir, 'log');
    await initLog({ dataDir: logDir, origin: 'config.test/log' });
    const [logPort, witnessPort] = [await freePort(), await freePort()];
    const logConf = join(dir, 'log.conf');
    writeFileSync(
      logConf,
      `# log\ndata ${logDir}\nlisten 127.0.0.1:1\nno-witnesses true\nbatch-max-wait 1ms\nwitness-timeout 2s\nthreads 0\n`,
    );
    // listen in the file is overridden by the flag.
    const log = await startFleetlogServer(
      ['log', 'serve', '--config', logConf, '--listen', `127.0.0.1:${logPort}`],
      `http://127.0.0.1:${logPort}`,
    );
    const witnessDir = join(dir, 'witness');
    mkdirSync(witnessDir);
    await initWitness({ dataDir: witnessDir, name: 'config.test/w1' });
    const witnessConf = join(dir, 'witness.conf');
    writeFileSync(witnessConf, `data ${witnessDir}\nlisten 127.0.0.1:${witnessPort}\nthreads 0\n`);
    const witness = await startFleetlogServer(
      ['witness', 'serve', '--config', witnessConf],
      `http://127.0.0.1:${witnessPort}`,
    );
    try {
      expect((await fetch(`${log.url}/checkpoint`)).status).toBeLessThan(500);
      expect((await fetch(`${witness.url}/health`)).status).toBe(200);
    } finally {
      expect(await log.stop()).toBe(0);
      expect(await witness.stop()).toBe(0);
    }
  });
});
