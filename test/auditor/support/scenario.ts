/**
 * Ready-made logs for the auditor tests: an honest generic log, an honest fleetlog log, their
 * policies, and a served copy whose responses a test can tamper with.
 */
import { parsePolicy, type Policy } from '../../../core/policy/policy.ts';
import { serveLog, type Handler, type Served } from './log-http.ts';
import { deployment, fleetBundleFor, keyset, makeFleetKeys, policyText, type FleetKeys } from './fleet-fixtures.ts';
import { makeLogKeys, SyntheticLog, type LogKeys } from './synthetic-log.ts';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export interface Scenario {
  readonly keys: LogKeys;
  readonly log: SyntheticLog;
  readonly policyText: string;
  readonly policy: Policy;
  readonly fleet?: FleetKeys;
}

/** A generic log of `size` entries, published and cosigned by all three witnesses (quorum 2). */
export function genericScenario(size: number, keys: LogKeys = makeLogKeys('example.test/log')): Scenario {
  const log = new SyntheticLog(keys);
  for (let i = 0; i < size; i++) log.append(enc(`entry number ${i}`));
  log.publish();
  const text = policyText(keys, { quorum: 2 });
  return { keys, log, policyText: text, policy: parsePolicy(text) };
}

/** Two fleets: fleet-a (evidence, v1, v2) and fleet-b (evidence, v1), with generic padding between. */
export function fleetScenario(
  keys: LogKeys = makeLogKeys('example.test/fleetlog'),
  fleet: FleetKeys = makeFleetKeys(),
): Scenario & { fleet: FleetKeys } {
  const log = new SyntheticLog(keys);
  const a = deployment(fleet, 'fleet-a');
  log.append(a.bytes);
  log.append(keyset(fleet, 'fleet-a', 1, a));
  const b = deployment(fleet, 'fleet-b', { hsms: 2 });
  log.append(b.bytes);
  log.append(keyset(fleet, 'fleet-b', 1, b));
  log.append(keyset(fleet, 'fleet-a', 2, a));
  log.publish();
  const text = policyText(keys, { quorum: 2, fleet });
  return { keys, log, policyText: text, policy: parsePolicy(text), fleet };
}

/** Serves a scenario's log (switchable with `current`), with fleetlog's /fleet-bundle/<id>. */
export async function serveScenario(
  get: () => SyntheticLog,
  options: { fleetBundles?: boolean } = {},
): Promise<Served> {
  const extra: Handler = (path) => {
    if (!options.fleetBundles || !path.startsWith('fleet-bundle/')) return undefined;
    const text = fleetBundleFor(get(), path.slice('fleet-bundle/'.length));
    return text === undefined
      ? { status: 404, body: '{"code":"not_found"}' }
      : { status: 200, body: text, contentType: 'text/plain; charset=utf-8' };
  };
  return serveLog(get, extra);
}

/** Where a result first failed: the step of its first failing check (the title when it has no step). */
export function failedAt(r: {
  readonly checks: ReadonlyArray<{ readonly step?: number; readonly title: string; readonly status: string }>;
}): number | string | undefined {
  const f = r.checks.find((c) => c.status === 'fail');
  return f?.step ?? f?.title;
}

/** Flips one bit of a byte string (a copy). */
export function flipBit(data: Uint8Array, at = 0): Uint8Array {
  const out = data.slice();
  out[at] = out[at]! ^ 1;
  return out;
}

/** Replaces the base64 signature of the signature line by `name` with one with a flipped bit. */
export function tamperSignatureLine(note: string, name: string): string {
  return note
    .split('\n')
    .map((line) => {
      if (!line.startsWith(`\u2014 ${name} `)) return line;
      const b64 = line.slice(line.lastIndexOf(' ') + 1);
      const raw = Buffer.from(b64, 'base64');
      raw[raw.length - 5] = raw[raw.length - 5]! ^ 1;
      return `${line.slice(0, line.lastIndexOf(' ') + 1)}${raw.toString('base64')}`;
    })
    .join('\n');
}

/** Drops the signature lines of the given names (e.g. cosignatures, to break the quorum). */
export function dropSignatureLines(note: string, names: readonly string[]): string {
  return note
    .split('\n')
    .filter((line) => !names.some((n) => line.startsWith(`\u2014 ${n} `)))
    .join('\n');
}
