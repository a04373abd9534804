/**
 * The READMEs and the command tree agree (cli/program.ts, walked in-process):
 *   - every command has a one-line description, and a group that lists its subcommands in its
 *     description lists exactly them, in their order;
 *   - every `fleetlog …` command line in a README's code (fenced or indented blocks, inline code),
 *     and every inline `group command …` of a role README, names a command that exists, with
 *     options that command has;
 *   - every command is shown somewhere in a README.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/program.ts';
import { REPO_ROOT } from '../support/process.ts';

const READMES = [
  'README.md',
  'auditor-cli/README.md',
  'log-server/README.md',
  'publisher/README.md',
  'witness/README.md',
  'specs/README.md',
  'docs/study/README.md',
];

type AnyCommand = Command<unknown[], Record<string, unknown>>;
const program = buildProgram() as unknown as AnyCommand;

function subcommands(c: AnyCommand): AnyCommand[] {
  return (c.commands as AnyCommand[]).filter((s) => s.name() !== 'help');
}

function allCommands(c: AnyCommand = program, path: string[] = []): Array<{ path: string; command: AnyCommand }> {
  return subcommands(c).flatMap((s) => {
    const p = [...path, s.name()];
    return [{ path: p.join(' '), command: s }, ...allCommands(s, p)];
  });
}

/** Lines of code in a Markdown text: fenced and indented blocks (continuations joined), inline code. */
function codeSnippets(markdown: string): string[] {
  const text = markdown.replace(/\\\n\s*/g, ' ');
  const fenced = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n'));
  const prose = text.replace(/```[a-z]*\n[\s\S]*?```/g, '');
  const indented = prose.split('\n').filter((l) => /^ {4}\S/.test(l));
  const inline = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!.replace(/\\\|/g, '|'));
  return [...fenced, ...indented, ...inline];
}

interface Mention {
  readonly words: string[];
  readonly args: string;
  /** Written as `fleetlog …`; otherwise an inline `group command …` of a role README. */
  readonly explicit: boolean;
}

const WORD = '[a-z][a-z0-9-]*(?:\\|[a-z][a-z0-9-]*)*';

function mentions(snippet: string): Mention[] {
  const found: Mention[] = [];
  for (const m of snippet.matchAll(new RegExp(`(?:^|[\\s$(\`'"])fleetlog((?: +${WORD})+)([^#;&\`]*)`, 'g')))
    found.push({ words: m[1]!.trim().split(/ +/), args: m[2] ?? '', explicit: true });
  const implicit = new RegExp(`^(${WORD}(?: +${WORD})+)([^#;&\`]*)`).exec(snippet.trim());
  if (!snippet.includes('fleetlog') && implicit)
    found.push({ words: implicit[1]!.split(/ +/), args: implicit[2] ?? '', explicit: false });
  return found;
}

/** Problems of one mention, and the command paths it shows (`a|b` alternatives expand). */
function check(mention: Mention): { problems: string[]; shown: string[] } {
  const problems: string[] = [];
  const shown: string[] = [];
  let paths: Array<{ command: AnyCommand; path: string[] }> = [{ command: program, path: [] }];
  let consumed = 0;
  for (const word of mention.words) {
    const next = paths.flatMap(({ command, path }) =>
      word.split('|').flatMap((w) => {
        const s = subcommands(command).find((x) => x.name() === w || x.aliases().includes(w));
        return s ? [{ command: s, path: [...path, w] }] : [];
      }),
    );
    if (next.length === 0) break;
    paths = next;
    consumed += 1;
  }
  const rest = mention.words.slice(consumed);
  // Policy lines (`fleetlog publisher <vkey>`) and prose start with no command; an implicit
  // mention counts only once it names a group and one of its commands.
  if (consumed === 0 || (!mention.explicit && consumed < 2)) return { problems, shown };
  for (const { command, path } of paths) {
    shown.push(path.join(' '));
    if (subcommands(command).length > 0 && rest.length > 0) {
      problems.push(`fleetlog ${path.join(' ')} has no command ${rest[0]}`);
      continue;
    }
    const known = new Set(
      (command.options as ReadonlyArray<{ long?: string; short?: string }>).flatMap((o) => [o.long, o.short]),
    );
    for (const m of mention.args.matchAll(/(?:^|[\s[(|])(--[a-z][a-z0-9-]*)/g))
      if (!known.has(m[1]!) && m[1] !== '--help') problems.push(`fleetlog ${path.join(' ')} has no option ${m[1]}`);
  }
  return { problems, shown };
}

describe('the command tree', () => {
  it('gives every command a one-line description; a group lists exactly its commands, in order', () => {
    const commands = allCommands();
    expect(commands.length).toBeGreaterThan(40);
    for (const { path, command } of commands) {
      const d = command.description();
      expect(d, path).toMatch(/^[a-z]/);
      expect(d, path).not.toContain('\n');
      const listed = /(?:\(|: )([a-z][a-z0-9-]*(?:, [a-z][a-z0-9-]*)+)\)?$/.exec(d);
      if (listed) expect(listed[1]!.split(', '), path).toEqual(subcommands(command).map((s) => s.name()));
    }
  });
});

describe('the READMEs', () => {
  const results = READMES.flatMap((file) =>
    codeSnippets(readFileSync(join(REPO_ROOT, file), 'utf8')).flatMap((s) =>
      mentions(s).map((m) => ({ file, snippet: s, ...check(m) })),
    ),
  );

  it('name only commands and options that exist', () => {
    const problems = results.flatMap((r) => r.problems.map((p) => `${r.file}: ${p} (in: ${r.snippet.trim()})`));
    expect(problems).toEqual([]);
    expect(results.filter((r) => r.shown.length > 0).length).toBeGreaterThan(100);
  });

  it('show every command', () => {
    const shown = new Set(results.flatMap((r) => r.shown));
    const leaves = allCommands()
      .filter(({ command }) => subcommands(command).length === 0)
      .map(({ path }) => path);
    expect(leaves.filter((p) => !shown.has(p))).toEqual([]);
  });

  it('the check itself catches a missing command and a missing option', () => {
    const bad = (text: string) => mentions(text).flatMap((m) => check(m).problems);
    expect(bad('fleetlog log serve --data d --no-such-flag')).toEqual([
      'fleetlog log serve has no option --no-such-flag',
    ]);
    expect(bad('fleetlog audit flete --log u')).toEqual(['fleetlog audit has no command flete']);
    expect(bad('audit fleet --polcy p')).toEqual(['fleetlog audit fleet has no option --polcy']);
    expect(bad('fleetlog note sign|verify')).toEqual([]);
    expect(bad('fleetlog publisher publisher.example+…')).toEqual([]); // a policy line, not a command
  });
});
