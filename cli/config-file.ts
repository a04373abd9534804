/**
 * `--config FILE` for the servers: every setting a server takes as a flag can also come from a
 * file, one `name value` per line, in the manner of sshd_config and many Go servers:
 *
 *     # /etc/fleetlog/log.conf
 *     data /var/lib/fleetlog
 *     listen 0.0.0.0:8080
 *     batch-max-wait 2ms
 *
 * A name is the long flag without its dashes, and the value goes through that flag's own parser,
 * so a setting cannot mean something else in the file than on the command line. The settings are
 * the command's options, read from its declaration: adding a flag to `log serve` adds the setting,
 * with no second list to keep. Flags override the file (whatever their order).
 *
 * Strict, like the other formats we read: an unknown or repeated name, a missing value, a value
 * the flag would refuse, a CR LF line ending, or a file over 64 KiB is an error that names the line.
 * Blank lines and lines starting with `#` are comments. Values are the rest of the line, trimmed;
 * there is no quoting and no trailing comment. A relative path means what it means as a flag:
 * relative to the current directory. An on/off flag takes `true` or `false`.
 */
import { readFileSync } from 'node:fs';
import { type CommandUnknownOpts, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { FleetlogError } from '../core/errors.ts';

export const MAX_CONFIG_BYTES = 64 * 1024;
const LINE = /^([a-z][a-z0-9-]*)(?:[ \t]+(.*))?$/;

export interface ConfigSetting {
  readonly name: string;
  readonly value: string;
  readonly line: number;
}

/** Splits config text into settings; refuses what no careful author writes. `file` names it in errors. */
export function parseConfigText(text: string, file: string): ConfigSetting[] {
  const settings: ConfigSetting[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const where = `${file} line ${line}`;
    if (raw.endsWith('\r'))
      throw new FleetlogError(
        'usage',
        `${where} ends with a Windows line ending (CR LF); save the file with LF endings`,
      );
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = LINE.exec(trimmed);
    if (!m) throw new FleetlogError('usage', `${where}: expected "name value", got ${JSON.stringify(trimmed)}`);
    const name = m[1]!;
    const first = seen.get(name);
    if (first !== undefined) throw new FleetlogError('usage', `${where}: ${name} is already set on line ${first}`);
    seen.set(name, line);
    settings.push({ name, value: (m[2] ?? '').trim(), line });
  });
  return settings;
}

/** The options a config file may set: every visible long option but --config and --help. */
export function configurableOptions(cmd: CommandUnknownOpts): Map<string, Option> {
  const options = new Map<string, Option>();
  for (const o of cmd.options as readonly Option[]) {
    const name = o.long?.replace(/^--/, '');
    if (name && !o.hidden && name !== 'config' && name !== 'help') options.set(name, o);
  }
  return options;
}

function optionValue(option: Option, setting: ConfigSetting, previous: unknown): unknown {
  const takesValue = option.required || option.optional;
  if (!takesValue) {
    if (setting.value !== 'true' && setting.value !== 'false')
      throw new InvalidArgumentError(`expected true or false, got ${JSON.stringify(setting.value)}`);
    const given = setting.value === 'true';
    return option.negate ? !given : given;
  }
  if (option.variadic) throw new InvalidArgumentError('a list cannot be set in a config file; use the flag');
  if (setting.value === '') throw new InvalidArgumentError('no value given');
  return option.parseArg ? option.parseArg(setting.value, previous as never) : setting.value;
}

/** Sets the command's options from the file's settings, except those already given as flags. */
export function applyConfig(cmd: CommandUnknownOpts, settings: readonly ConfigSetting[], file: string): void {
  const options = configurableOptions(cmd);
  for (const s of settings) {
    const option = options.get(s.name);
    if (!option)
      throw new FleetlogError(
        'usage',
        `${file} line ${s.line}: unknown setting ${JSON.stringify(s.name)}; the settings are: ${[...options.keys()].join(', ')}`,
      );
    const key = option.attributeName();
    if (cmd.getOptionValueSource(key) === 'cli') continue;
    let value: unknown;
    try {
      value = optionValue(option, s, cmd.getOptionValue(key));
    } catch (e) {
      if (e instanceof InvalidArgumentError || e instanceof FleetlogError)
        throw new FleetlogError('usage', `${file} line ${s.line}: ${s.name}: ${e.message}`);
      throw e;
    }
    cmd.setOptionValueWithSource(key, value, 'config');
  }
}

export function readConfigFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new FleetlogError('io', `cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (bytes.length > MAX_CONFIG_BYTES)
    throw new FleetlogError('too_large', `config file ${file} is larger than ${MAX_CONFIG_BYTES} bytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FleetlogError('bad_encoding', `config file ${file} is not UTF-8`);
  }
}

/**
 * Adds `--config FILE` to a command. Call it after the command's other options are declared. The
 * file is read when commander meets the flag, before required options are checked, so a required
 * setting may come from the file; flags after it overwrite it, flags before it are kept.
 */
export function addConfigOption<C extends CommandUnknownOpts>(cmd: C): C {
  cmd.addOption(
    new Option(
      '--config <file>',
      'read settings from FILE: one "name value" per line, named like the flags without "--"; flags override it',
    ),
  );
  cmd.on('option:config', (file: string) => {
    const text = readConfigFile(file);
    try {
      applyConfig(cmd, parseConfigText(text, file), file);
    } catch (e) {
      // A mistake in the file is a usage error like a mistyped flag: one line and the --help pointer.
      if (e instanceof FleetlogError && e.code === 'usage')
        cmd.error(e.message, { exitCode: 2, code: 'fleetlog.config' });
      throw e;
    }
  });
  return cmd;
}
