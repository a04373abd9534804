/**
 * Trust policies: the C2SP tlog-policy text format, plus fleetlog's own lines that pin who may sign
 * fleet key sets. A policy file is what a client, auditor, log or monitor pins.
 *
 * C2SP lines:       log <vkey> [url] | witness <name> <vkey> [url] | group <name> <all|any|k> <member>...
 *                   | quorum <name|none>   (# comments; names defined before use)
 * fleetlog lines:   fleetlog publisher <vkey> | fleetlog countersigner <vkey> | fleetlog hsm-vendor <vkey>
 * The fleetlog lines make the policy say "this log holds fleetlog entries"; `toTlogPolicyText`
 * strips them for tools that only speak C2SP.
 */
import { FleetlogError } from '../errors.ts';
import { cosignatureVerifier, type CosignatureVerifier } from '../cosignature.ts';
import { KEY_TYPE_ED25519, parseVerifierKey, type PublicKeyInfo } from '../note/keys.ts';
import { ed25519NoteVerifier, type Ed25519NoteVerifier } from '../note/verifiers.ts';
import { bytesEqual } from '../bytes.ts';

/**
 * The longest policy text parsePolicy accepts, in UTF-16 code units (JavaScript string length).
 * A file of at most this many bytes is never longer, so it doubles as the file-size cap.
 */
export const MAX_POLICY_CHARS = 256 * 1024;
/** C2SP recommends supporting at least 32 of each; we allow more. */
const MAX_ITEMS = 256;

export interface PolicyLog {
  readonly verifier: Ed25519NoteVerifier;
  readonly url: string | undefined;
}

export interface PolicyWitness {
  readonly name: string;
  readonly verifier: CosignatureVerifier;
  readonly url: string | undefined;
}

export interface PolicyGroup {
  readonly name: string;
  readonly threshold: number;
  readonly members: readonly string[];
}

export interface Policy {
  readonly logs: readonly PolicyLog[];
  readonly witnesses: ReadonlyMap<string, PolicyWitness>;
  readonly groups: ReadonlyMap<string, PolicyGroup>;
  /** A witness or group name, or 'none'. */
  readonly quorum: string;
  /** Keys allowed to publish fleet key sets (the first signature). */
  readonly publishers: readonly PublicKeyInfo[];
  /** Independent keys allowed to counter-sign fleet key sets. */
  readonly countersigners: readonly PublicKeyInfo[];
  /** HSM vendor roots that attest HSM keys and firmware in deployment evidence. */
  readonly hsmVendors: readonly PublicKeyInfo[];
  /** True when the policy has fleetlog lines: the log holds fleetlog entries. */
  readonly fleetlog: boolean;
}

function isPolicyByte(code: number): boolean {
  return code === 0x09 || code === 0x0a || (code >= 0x20 && code <= 0x7e) || code >= 0x80;
}

/** The error for a character the policy format does not allow, with its line (and a word on CR LF). */
function disallowedCharacter(text: string, offset: number): FleetlogError {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  if (text[offset] === '\r' && (offset + 1 === text.length || text[offset + 1] === '\n'))
    return new FleetlogError(
      'bad_policy',
      `policy line ${line} ends with a Windows line ending (CR LF); policies use LF line endings (e.g. dos2unix FILE)`,
    );
  const hex = text.charCodeAt(offset).toString(16).toUpperCase().padStart(4, '0');
  return new FleetlogError(
    'bad_policy',
    `policy line ${line}, column ${column}: disallowed control character U+${hex}`,
  );
}

/**
 * Parses a policy file. `partial` accepts a policy that is still being built (no quorum line yet,
 * a publisher without a countersigner); everything else is checked as usual.
 */
export function parsePolicy(text: string, options: { partial?: boolean } = {}): Policy {
  if (text.length > MAX_POLICY_CHARS)
    throw new FleetlogError('too_large', `policy is longer than ${MAX_POLICY_CHARS} characters`);
  for (let i = 0; i < text.length; i++) {
    if (!isPolicyByte(text.charCodeAt(i))) throw disallowedCharacter(text, i);
  }
  const logs: PolicyLog[] = [];
  const witnesses = new Map<string, PolicyWitness>();
  const groups = new Map<string, PolicyGroup>();
  const publishers: PublicKeyInfo[] = [];
  const countersigners: PublicKeyInfo[] = [];
  const hsmVendors: PublicKeyInfo[] = [];
  const allKeys: Uint8Array[] = [];
  let quorum: string | undefined;
  let fleetlog = false;

  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const fail = (why: string): never => {
      throw new FleetlogError('bad_policy', `policy line ${i + 1}: ${why}`);
    };
    const trimmed = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const words = trimmed.split(/[ \t]+/);
    const parseKey = (vkey: string | undefined): PublicKeyInfo => {
      if (vkey === undefined) return fail('missing vkey');
      let info: PublicKeyInfo;
      try {
        info = parseVerifierKey(vkey);
      } catch (e) {
        return fail((e as Error).message);
      }
      if (allKeys.some((k) => bytesEqual(k, info.publicKey.bytes))) fail(`duplicate key ${info.name}`);
      allKeys.push(info.publicKey.bytes);
      return info;
    };
    const nameDefined = (name: string): boolean => witnesses.has(name) || groups.has(name);
    const defineName = (name: string | undefined): string => {
      if (name === undefined) return fail('missing name');
      if (name === 'none') fail('"none" is reserved');
      if (nameDefined(name)) fail(`name ${name} is already defined`);
      return name;
    };
    const limit = (n: number, what: string): void => {
      if (n >= MAX_ITEMS) fail(`more than ${MAX_ITEMS} ${what}`);
    };
    const keyword = words[0];
    if (keyword === 'log') {
      if (words.length < 2 || words.length > 3) fail('expected "log <vkey> [url]"');
      limit(logs.length, 'logs');
      const key = parseKey(words[1]);
      if (key.type !== KEY_TYPE_ED25519) fail('a log key must be an Ed25519 note key (type 0x01)');
      logs.push({ verifier: ed25519NoteVerifier(key), url: words[2] });
    } else if (keyword === 'witness') {
      if (words.length < 3 || words.length > 4) fail('expected "witness <name> <vkey> [url]"');
      limit(witnesses.size, 'witnesses');
      const name = defineName(words[1]);
      const key = parseKey(words[2]);
      let verifier: CosignatureVerifier;
      try {
        verifier = cosignatureVerifier(key);
      } catch (e) {
        fail((e as Error).message);
        return;
      }
      witnesses.set(name, { name, verifier, url: words[3] });
    } else if (keyword === 'group') {
      if (words.length < 4) fail('expected "group <name> <all|any|k> <member>..."');
      limit(groups.size, 'groups');
      const name = defineName(words[1]);
      const members = words.slice(3);
      const seen = new Set<string>();
      for (const m of members) {
        if (m === 'none') fail('"none" cannot be a group member');
        if (!nameDefined(m)) fail(`group member ${m} is not defined on an earlier line`);
        if (seen.has(m)) fail(`group member ${m} is listed twice`);
        seen.add(m);
      }
      const k = words[2]!;
      let threshold: number;
      if (k === 'all') threshold = members.length;
      else if (k === 'any') threshold = 1;
      else if (/^[1-9][0-9]{0,2}$/.test(k) && Number(k) <= members.length) threshold = Number(k);
      else {
        fail(`threshold must be all, any, or a decimal k with 1 <= k <= ${members.length}`);
        return;
      }
      groups.set(name, { name, threshold, members });
    } else if (keyword === 'quorum') {
      if (words.length !== 2) fail('expected "quorum <name|none>"');
      if (quorum !== undefined) fail('a policy has exactly one quorum line');
      const name = words[1]!;
      if (name !== 'none' && !nameDefined(name)) fail(`quorum ${name} is not defined on an earlier line`);
      quorum = name;
    } else if (keyword === 'fleetlog') {
      if (words.length !== 3) fail('expected "fleetlog <publisher|countersigner|hsm-vendor> <vkey>"');
      const key = parseKey(words[2]);
      if (key.type !== KEY_TYPE_ED25519) fail('fleetlog keys are Ed25519 keys (type 0x01)');
      const role = words[1];
      if (role === 'publisher') publishers.push(key);
      else if (role === 'countersigner') countersigners.push(key);
      else if (role === 'hsm-vendor') hsmVendors.push(key);
      else fail(`unknown fleetlog role ${role}`);
      fleetlog = true;
    } else {
      fail(`unknown keyword ${JSON.stringify(keyword)}`);
    }
  });
  if (options.partial)
    return { logs, witnesses, groups, quorum: quorum ?? 'none', publishers, countersigners, hsmVendors, fleetlog };
  if (quorum === undefined)
    throw new FleetlogError('bad_policy', 'policy has no quorum line (use "quorum none" to require no witnesses)');
  if (fleetlog && (publishers.length === 0 || countersigners.length === 0)) {
    throw new FleetlogError('bad_policy', 'a fleetlog policy needs at least one publisher and one countersigner key');
  }
  return { logs, witnesses, groups, quorum, publishers, countersigners, hsmVendors, fleetlog };
}

/** The C2SP-only part of a policy file, for tools that do not know fleetlog lines. */
export function toTlogPolicyText(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^[ \t]*fleetlog[ \t]/.test(l))
    .join('\n');
}

/** Whether the set of witnesses that cosigned satisfies the policy's quorum. */
export function quorumSatisfied(policy: Policy, cosigned: ReadonlySet<string>): boolean {
  if (policy.quorum === 'none') return true;
  const memo = new Map<string, boolean>();
  const witnessed = (name: string): boolean => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const group = policy.groups.get(name);
    const result = group ? group.members.filter(witnessed).length >= group.threshold : cosigned.has(name);
    memo.set(name, result);
    return result;
  };
  return witnessed(policy.quorum);
}

/** The log entry whose key name is `origin`, if the policy trusts one. */
export function logForOrigin(policy: Policy, origin: string): PolicyLog | undefined {
  return policy.logs.find((l) => l.verifier.name === origin);
}
