/**
 * Printing results: human text (each check with its spec step number, PASS / FAIL, reason), or
 * JSON with --json (bytes as lowercase hex). Human text goes to stdout, warnings to stderr.
 */
import { count as plural } from '../cli/plural.ts';
import { toHex } from '../core/bytes.ts';
import {
  EVENTS_PER_EVIDENCE_ONLY_FLEET,
  EVENTS_PER_FLEET,
  type FleetHistoryState,
  type FleetRecord,
  type TimelineEvent,
} from './log-audit/fleet-history.ts';
import { formatChecks, type CheckResult } from './report.ts';
import { describeProof, type ProofStep } from './tile-proofs.ts';

function jsonText(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v), 2)}\n`;
}

export function printJson(value: unknown): void {
  process.stdout.write(jsonText(value));
}

export function printHuman(lines: ReadonlyArray<string | undefined>): void {
  process.stdout.write(`${lines.filter((l): l is string => l !== undefined).join('\n')}\n`);
}

export function checksBlock(checks: readonly CheckResult[]): string {
  return formatChecks(checks);
}

/** A proof path: one line per proof hash, with the subtrees and tiles it came from. */
export function proofBlock(title: string, proof: readonly ProofStep[]): string | undefined {
  if (proof.length === 0) return undefined;
  return [`${title} (${plural(proof.length, 'hash', 'hashes')}, leaf side first):`, ...describeProof(proof)].join('\n');
}

/** JSON form of a proof path. */
export function proofJson(proof: readonly ProofStep[]): Array<{ hash: string; nodes: ProofStep['nodes'] }> {
  return proof.map((s) => ({ hash: toHex(s.hash), nodes: s.nodes }));
}

const day = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

function eventLine(fleetId: string, e: TimelineEvent): string {
  if (e.kind === 'deployment') {
    const unused = e.referenced ? '' : '; no key set published for it (yet, or in this run)';
    return `  #${e.index}  ${fleetId}  deployment: ${e.hsms} HSM${e.hsms === 1 ? '' : 's'} in ${e.regions.join(', ')}, firmware ${e.firmware}${e.ok ? '' : ' [evidence does not verify]'}${unused}`;
  }
  const evidence = e.evidenceIndex !== undefined ? `evidence #${e.evidenceIndex}` : 'no evidence logged before it';
  return `  #${e.index}  ${fleetId}  key set v${e.version}: ${e.keys} key${e.keys === 1 ? '' : 's'}, valid ${day(e.notBefore)} .. ${day(e.notAfter)}, ${evidence}${e.ok ? '' : ' [breaks a fleet rule]'}`;
}

/** The timeline of fleets and deployments in log order (specs/audit.md B.4), then one line per fleet. */
export function timelineBlock(history: FleetHistoryState): string {
  const fleets = Object.entries(history.fleets);
  if (fleets.length === 0) return 'timeline: no fleets in this log';
  const events = fleets.flatMap(([id, f]) => f.events.map((e) => ({ id, e }))).sort((a, b) => a.e.index - b.e.index);
  const hidden = history.deployments + history.keysets - events.length;
  const lines = [
    `timeline (log order): ${fleets.length} fleet${fleets.length === 1 ? '' : 's'}, ${history.deployments} deployments, ${history.keysets} key sets`,
  ];
  if (hidden > 0)
    lines.push(
      `  … ${hidden} earlier event${hidden === 1 ? '' : 's'} not kept (the last ${EVENTS_PER_FLEET} per fleet are, ${EVENTS_PER_EVIDENCE_ONLY_FLEET} for a fleet without key sets)`,
    );
  lines.push(...events.map(({ id, e }) => eventLine(id, e)));
  lines.push('fleets:');
  for (const [id, f] of fleets.sort(([, a], [, b]) => a.firstIndex - b.firstIndex)) lines.push(fleetLine(id, f));
  if (history.warningCount > 0) {
    lines.push(
      `warnings (${history.warningCount}):`,
      ...history.warnings.slice(0, 20).map((w) => `  [${w.rule}] ${w.message}`),
    );
  }
  return lines.join('\n');
}

function fleetLine(id: string, f: FleetRecord): string {
  const current =
    f.version !== undefined
      ? `latest key set v${f.version} at #${f.index}, valid until ${day(f.notAfter!)}`
      : 'no key set';
  return `  ${id}: ${f.deployments} deployment${f.deployments === 1 ? '' : 's'}, ${f.keysets} key set${f.keysets === 1 ? '' : 's'}, ${current}`;
}
