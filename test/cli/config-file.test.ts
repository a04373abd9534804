// `--config FILE` for the servers (cli/config-file.ts), against the real command declarations:
// strict parsing, the flags' own parsers, flags override the file, and each README's example parses.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommanderError } from '@commander-js/extra-typings';
import { configurableOptions, parseConfigText } from '../../cli/config-file.ts';
import { serveCommand as logServe } from '../../log-server/commands/serve.ts';
import { serveCommand as witnessServe } from '../../witness/commands/serve.ts';
import { REPO_ROOT, tempDir } from '../support/process.ts';

type Serve = ReturnType<typeof logServe> | ReturnType<typeof witnessServe>;

/** Parses argv with the real command, stopping before its action (which would start a server). */
function optionsOf<C extends Serve>(cmd: C, argv: string[]): ReturnType<C['opts']> {
  cmd.exitOverride().configureOutput({ outputError: () => undefined, writeErr: () => undefined });
  cmd.action(() => undefined);
  cmd.parse(argv, { from: 'user' });
  return cmd.opts() as ReturnType<C['opts']>;
}

function configFile(text: string): string {
  const file = join(tempDir('fleetlog-config-'), 'server.conf');
  writeFileSync(file, text);
  return file;
}

/** The first ```conf block under the README heading that names --config. */
function readmeExample(readme: string): string {
  const text = readFileSync(join(REPO_ROOT, readme), 'utf8');
  const m = /## Config file[\s\S]*?```conf\n([\s\S]*?)```/.exec(text);
  if (!m) throw new Error(`${readme} has no "## Config file" section with a conf block`);
  return m[1]!;
}

describe('server config files', () => {
  it('sets every kind of option through its flag parser; flags override the file', () => {
    const file = configFile(
      [
        '# a log server',
        'data /var/lib/fleetlog',
        '  listen 0.0.0.0:9090  ',
        '',
        'batch-max-wait 5ms',
        'witness-timeout 2s',
        'threads 3',
        'writer-thread true',
        '',
      ].join('\n'),
    );
    const o = optionsOf(logServe(), ['--config', file]);
    expect(o).toMatchObject({
      data: '/var/lib/fleetlog',
      listen: '0.0.0.0:9090',
      batchMaxWait: 5,
      witnessTimeout: 2000,
      threads: 3,
      writerThread: true,
      batchMaxSize: 1024, // not in the file: the default
    });
    // A flag wins over the file whether it comes before or after --config.
    expect(optionsOf(logServe(), ['--listen', '127.0.0.1:1', '--config', file]).listen).toBe('127.0.0.1:1');
    expect(optionsOf(logServe(), ['--config', file, '--threads', '0']).threads).toBe(0);
    // A required option may come from the file alone.
    expect(optionsOf(witnessServe(), ['--config', configFile('data /srv/w1\nthreads 0\n')])).toMatchObject({
      data: '/srv/w1',
      threads: 0,
      listen: '127.0.0.1:7380',
    });
  });

  it('refuses unknown, repeated, empty and invalid settings and CR LF, naming the file and line', () => {
    const cases: Array<[string, RegExp]> = [
      [
        'data /d\nlisten-on 1.2.3.4:5\n',
        /server\.conf line 2: unknown setting "listen-on"; the settings are: data, listen, /,
      ],
      ['data /d\ndata /e\n', /line 2: data is already set on line 1/],
      ['data /d\nbatch-max-wait 5x\n', /line 2: batch-max-wait: expected a duration/],
      ['data /d\nthreads\n', /line 2: threads: no value given/],
      ['data /d\nwriter-thread yes\n', /line 2: writer-thread: expected true or false/],
      ['data /d\r\nlisten 1.2.3.4:5\n', /line 1 ends with a Windows line ending/],
      ['data /d\n--listen 1.2.3.4:5\n', /line 2: expected "name value"/],
      ['data /d\nconfig other.conf\n', /line 2: unknown setting "config"/],
      ['data /d\nwitness-timeout-ms 500\n', /line 2: unknown setting "witness-timeout-ms"/],
    ];
    for (const [text, message] of cases) {
      let error: unknown;
      try {
        optionsOf(logServe(), ['--config', configFile(text)]);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(CommanderError);
      expect((error as CommanderError).message, text).toMatch(message);
      expect((error as CommanderError).exitCode).toBe(2);
    }
  });

  it('the example in each server README is complete and parses', () => {
    for (const [readme, make] of [
      ['log-server/README.md', logServe],
      ['witness/README.md', witnessServe],
    ] as const) {
      const example = readmeExample(readme);
      const names = parseConfigText(example, readme).map((s) => s.name);
      // Complete: every setting the command has appears in its README example (commented out or not).
      const documented = new Set([...names, ...[...example.matchAll(/^#\s*([a-z][a-z0-9-]*)\s/gm)].map((m) => m[1]!)]);
      for (const name of configurableOptions(make()).keys()) expect(documented, `${readme}: ${name}`).toContain(name);
      expect(() => optionsOf(make(), ['--config', configFile(example)])).not.toThrow();
    }
  });
});
