/**
 * How every command reports a usage error and shows its help. Applied to the whole command tree
 * once it is built (settings added with addCommand are not inherited, so we walk the tree):
 *   - a usage error is the one relevant line and a pointer to the command's --help (never the
 *     whole help), as JSON on stdout too under --json (cli/run.ts);
 *   - --help marks required options "(required)";
 *   - commander throws instead of exiting, so cli/main.ts sets the exit code (2 for usage).
 */
import { type CommandUnknownOpts, Help, type Option } from '@commander-js/extra-typings';
import { wantsJson, writeError } from './run.ts';

function optionDescription(this: Help, option: Option): string {
  const text = Help.prototype.optionDescription.call(this, option);
  return option.mandatory ? `${text} (required)` : text;
}

/** Commander's message on one line: without its "error: " prefix, with its suggestion appended. */
function usageMessage(text: string): string {
  return text
    .replace(/^error: /, '')
    .trimEnd()
    .replace(/\n\(Did you mean (.*)\)$/, ' (did you mean $1)');
}

export function applyCliConventions(cmd: CommandUnknownOpts): void {
  cmd
    .exitOverride()
    .showHelpAfterError(false)
    .showSuggestionAfterError(true)
    .configureHelp({ optionDescription, showGlobalOptions: false })
    .configureOutput({
      outputError: (text) => writeError({ code: 'usage', message: usageMessage(text) }, { json: wantsJson(), cmd }),
    });
  for (const sub of cmd.commands) applyCliConventions(sub);
}
