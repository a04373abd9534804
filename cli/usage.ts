/**
 * How every command reports a usage error and shows its help. Applied to the whole command tree
 * once it is built (settings added with addCommand are not inherited, so we walk the tree):
 *   - a usage error is the one relevant line and a pointer to the command's --help (never the
 *     whole help), as JSON on stdout too under --json (cli/run.ts);
 *   - --help marks required options "(required)"; a mistyped option is reported before a missing one;
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

/**
 * Commander checks required options before unknown ones, so `--polcy FILE` would be reported as a
 * missing --policy. A mistyped option is the better line to print (with its suggestion), so when
 * an unknown option is on the command line it is reported first.
 */
function reportUnknownOptionsFirst(cmd: CommandUnknownOpts): void {
  const internal = cmd as unknown as {
    missingMandatoryOptionValue(option: Option): void;
    unknownOption(flag: string): void;
  };
  const missing = internal.missingMandatoryOptionValue.bind(cmd);
  internal.missingMandatoryOptionValue = (option: Option) => {
    // Here cmd.args holds the operands and then the unknown options of this parse.
    const unknown = cmd.args.find((a) => a.startsWith('-') && a !== '-');
    if (unknown !== undefined) internal.unknownOption(unknown);
    else missing(option);
  };
}

export function applyCliConventions(cmd: CommandUnknownOpts): void {
  reportUnknownOptionsFirst(cmd);
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
