/**
 * Building a policy file line by line (`fleetlog policy init|add-witness|set-quorum|add-role`).
 * Edits keep the file's comments and order, put each line where the C2SP rules need it (witnesses
 * before the groups that name them, the one quorum line after them, fleetlog lines last), and
 * re-parse the result, so an edit that would make the file invalid (a duplicate key or name, a
 * vkey of the wrong type, an unknown member) is refused and nothing is written. Pure.
 */
import { FleetlogError } from '../errors.ts';
import { KEY_TYPE_COSIGNATURE, KEY_TYPE_ED25519, parseVerifierKey } from '../note/keys.ts';
import { parsePolicy, type Policy } from './policy.ts';

export type PolicyRole = 'publisher' | 'countersigner' | 'hsm-vendor';
export const POLICY_ROLES: readonly PolicyRole[] = ['publisher', 'countersigner', 'hsm-vendor'];
/** Written by init above `quorum none`; set-quorum removes it. */
const NO_WITNESSES_COMMENT =
  '# no witnesses yet: add them with fleetlog policy add-witness, then fleetlog policy set-quorum';
/** The group `set-quorum` writes and points the quorum at. */
export const QUORUM_GROUP = 'quorum-witnesses';

const keywordOf = (line: string): string => line.trim().split(/[ \t]+/)[0] ?? '';
const isRule = (line: string): boolean => line.trim() !== '' && !line.trim().startsWith('#');

function checkUrl(url: string, what: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new FleetlogError('usage', `${what} URL ${JSON.stringify(url)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new FleetlogError('usage', `${what} URL must be http or https`);
  if (/[ \t]/.test(url)) throw new FleetlogError('usage', `${what} URL must not contain spaces`);
}

function requireType(vkey: string, type: number, what: string): void {
  const key = parseVerifierKey(vkey);
  if (key.type !== type)
    throw new FleetlogError(
      'bad_key',
      `${what} must be a ${type === KEY_TYPE_COSIGNATURE ? 'witness cosignature key (type 0x04, from fleetlog witness init)' : 'type 0x01 Ed25519 key'}; ${key.name} is not`,
    );
}

/** Re-parses an edited file as a policy under construction; the edit is refused if it does not parse. */
function validated(lines: readonly string[]): string {
  const text = `${lines.join('\n').replace(/\n+$/, '')}\n`;
  parsePolicy(text, { partial: true });
  return text;
}

/** Inserts `line` after the last line whose keyword is in `after` (or at the top of the rules). */
function insertAfter(text: string, line: string, after: readonly string[]): string[] {
  const lines = text.replace(/\n+$/, '').split('\n');
  let at = -1;
  lines.forEach((l, i) => {
    if (isRule(l) && after.includes(keywordOf(l))) at = i;
  });
  if (at < 0) at = lines.findIndex(isRule) - 1;
  if (at < -1) at = lines.length - 1;
  lines.splice(at + 1, 0, line);
  return lines;
}

/** A new policy that trusts one log; no witnesses yet (`quorum none`, which `check` warns about). */
export function initPolicy(logVkey: string, logUrl: string | undefined): string {
  requireType(logVkey, KEY_TYPE_ED25519, 'a log key');
  if (logUrl !== undefined) checkUrl(logUrl, 'log');
  return validated([
    '# fleetlog trust policy (C2SP tlog-policy with fleetlog lines); see specs/formats.md section 9',
    `log ${logVkey}${logUrl ? ` ${logUrl}` : ''}`,
    NO_WITNESSES_COMMENT,
    'quorum none',
  ]);
}

export function addWitness(text: string, name: string, vkey: string, url: string | undefined): string {
  if (!/^[\x21-\x7e]{1,64}$/.test(name))
    throw new FleetlogError('usage', 'a witness name is 1-64 printable characters without spaces');
  requireType(vkey, KEY_TYPE_COSIGNATURE, `witness ${name}'s key`);
  if (url !== undefined) checkUrl(url, `witness ${name}`);
  return validated(insertAfter(text, `witness ${name} ${vkey}${url ? ` ${url}` : ''}`, ['log', 'witness']));
}

/**
 * Sets the quorum to `threshold` (a number, `all` or `any`) of `members` (default: every witness),
 * as the group QUORUM_GROUP; or to `none`. Replaces an earlier QUORUM_GROUP line and the quorum line.
 */
export function setQuorum(text: string, threshold: string, members: readonly string[] | undefined): string {
  const policy = parsePolicy(text, { partial: true });
  const lines = text
    .replace(/\n+$/, '')
    .split('\n')
    .filter((l) => l !== NO_WITNESSES_COMMENT)
    .filter(
      (l) => keywordOf(l) !== 'quorum' && !(keywordOf(l) === 'group' && l.trim().split(/[ \t]+/)[1] === QUORUM_GROUP),
    );
  if (threshold === 'none') return validated(insertAfter(lines.join('\n'), 'quorum none', ['log', 'witness', 'group']));
  const names = members && members.length > 0 ? [...members] : [...policy.witnesses.keys()];
  if (names.length === 0)
    throw new FleetlogError(
      'usage',
      'the policy has no witnesses yet: add them with fleetlog policy add-witness first',
    );
  for (const n of names)
    if (!policy.witnesses.has(n) && !policy.groups.has(n))
      throw new FleetlogError('usage', `no witness or group named ${n} in the policy`);
  if (
    !/^(all|any|[1-9][0-9]{0,2})$/.test(threshold) ||
    (/^[0-9]+$/.test(threshold) && Number(threshold) > names.length)
  )
    throw new FleetlogError('usage', `the threshold must be all, any, or a number from 1 to ${names.length}`);
  const withGroup = insertAfter(lines.join('\n'), `group ${QUORUM_GROUP} ${threshold} ${names.join(' ')}`, [
    'log',
    'witness',
    'group',
  ]);
  return validated(insertAfter(withGroup.join('\n'), `quorum ${QUORUM_GROUP}`, ['log', 'witness', 'group']));
}

export function addRole(text: string, role: PolicyRole, vkey: string): string {
  if (!POLICY_ROLES.includes(role))
    throw new FleetlogError('usage', `the role must be one of ${POLICY_ROLES.join(', ')}`);
  requireType(vkey, KEY_TYPE_ED25519, `a ${role} key`);
  const lines = text.replace(/\n+$/, '').split('\n');
  lines.push(`fleetlog ${role} ${vkey}`);
  return validated(lines);
}

export interface PolicyFinding {
  readonly level: 'error' | 'warning';
  readonly message: string;
}

/**
 * Offline checks of a complete policy beyond parsing (which already checks keys, names, thresholds):
 * that the quorum can be met by witnesses a log can reach, and what is missing for publishing.
 */
export function policyFindings(policy: Policy): PolicyFinding[] {
  const out: PolicyFinding[] = [];
  const err = (message: string) => out.push({ level: 'error', message });
  const warn = (message: string) => out.push({ level: 'warning', message });
  if (policy.logs.length === 0) err('no log line: clients would trust no log');
  for (const l of policy.logs) if (l.url === undefined) warn(`log ${l.verifier.name} has no URL`);
  if (policy.quorum === 'none')
    warn(
      'QUORUM NONE: checkpoints need no witness cosignature, so nothing stops the log from showing different clients different trees (split view). Add witnesses and run fleetlog policy set-quorum.',
    );
  else {
    const reachable = new Set([...policy.witnesses.values()].filter((w) => w.url !== undefined).map((w) => w.name));
    const memo = new Map<string, boolean>();
    const met = (name: string): boolean => {
      if (memo.has(name)) return memo.get(name)!;
      const g = policy.groups.get(name);
      const r = g ? g.members.filter(met).length >= g.threshold : reachable.has(name);
      memo.set(name, r);
      return r;
    };
    if (!met(policy.quorum))
      err(
        `the quorum ${policy.quorum} can never be met: not enough of its witnesses have a URL the log can send checkpoints to`,
      );
  }
  for (const w of policy.witnesses.values())
    if (w.url === undefined) warn(`witness ${w.name} has no URL: the log cannot ask it to cosign`);
  if (!policy.fleetlog)
    warn('no fleetlog lines: this policy cannot check fleet key sets (add-role publisher, countersigner, hsm-vendor)');
  else if (policy.hsmVendors.length === 0) err('no fleetlog hsm-vendor key: every deployment evidence fails rule E1');
  return out;
}
