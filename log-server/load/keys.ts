/**
 * The load generator's test keys: publisher, countersigner and HSM vendor. They derive from a seed
 * (SHA-256 of a label and the seed), so a server can be started with `--print-policy`'s output
 * before the load with the same `--seed` runs. Test keys only: a seed is not a secret.
 */
import { utf8 } from '../../core/bytes.ts';
import { sha256 } from '../../core/crypto/sha256.ts';
import { formatSignerKey, KEY_TYPE_ED25519, parseSignerKey, type SignerKey } from '../../core/note/keys.ts';

export interface LoadKeys {
  readonly publisher: SignerKey;
  readonly countersigner: SignerKey;
  readonly hsmVendor: SignerKey;
}

function derive(seed: string, role: string): SignerKey {
  const material = sha256(utf8(`fleetlog-load/v1\n${role}\n${seed}`));
  return parseSignerKey(formatSignerKey(`load-${role}`, KEY_TYPE_ED25519, material));
}

export function loadKeys(seed: string): LoadKeys {
  return {
    publisher: derive(seed, 'publisher'),
    countersigner: derive(seed, 'countersigner'),
    hsmVendor: derive(seed, 'hsm-vendor'),
  };
}

/**
 * The fleetlog lines that pin the generator's keys, to append to a log's policy (`log load
 * --print-policy`): no quorum line, so appending them to a real policy never makes a second one.
 */
export function loadPolicyLines(keys: LoadKeys, seed: string): string {
  return [
    `# fleetlog log load test keys, seed ${JSON.stringify(seed)}`,
    `fleetlog publisher ${keys.publisher.vkey}`,
    `fleetlog countersigner ${keys.countersigner.vkey}`,
    `fleetlog hsm-vendor ${keys.hsmVendor.vkey}`,
    '',
  ].join('\n');
}

/** A whole policy for a test log without witnesses: the generator's keys and `quorum none`. */
export function loadPolicyText(keys: LoadKeys, seed: string): string {
  return `quorum none\n${loadPolicyLines(keys, seed)}`;
}
