/**
 * The human-readable report of each audit command: pure functions from a result to lines of text,
 * kept apart from the checks (which return the same objects --json prints) and from the command
 * declarations (commands/). Every failure line carries the reason of the first failed check.
 */
import { count } from '../cli/plural.ts';
import type { Policy } from '../core/policy/policy.ts';
import type { AuditFleetResult } from './fleet-audit.ts';
import type { AuditLogResult } from './log-audit/audit-log.ts';
import type { LiveResult } from './low-level.ts';
import type { Alert, MonitorRound } from './monitor.ts';
import { checksBlock, proofBlock, timelineBlock } from './output.ts';
import type { ProofAuditResult } from './proof-audit.ts';
import { firstFailure, type CheckResult } from './report.ts';

type Lines = Array<string | undefined>;

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** `FAILED: <reason of the first failed check>`. */
export function failedLine(checks: readonly CheckResult[], word = 'FAILED'): string {
  const failure = firstFailure(checks);
  return failure ? `${word}: ${failure.step !== undefined ? `step ${failure.step}: ` : ''}${failure.reason}` : word;
}

export function fleetReport(r: AuditFleetResult): Lines {
  const source =
    r.source === 'file'
      ? 'offline bundle'
      : r.source === 'scan'
        ? `log scanned: ${count(r.scanned ?? 0, 'entry', 'entries')}`
        : 'fleet bundle from the log';
  const k = r.keyset;
  return [
    `audit fleet ${r.fleetId ?? '?'} (${source}${r.checkpoint ? `, checkpoint ${r.checkpoint.origin}@${r.checkpoint.size}` : ''})`,
    checksBlock(r.checks),
    r.consistencyProof ? proofBlock('step 5 consistency proof, computed from tiles', r.consistencyProof) : undefined,
    r.trusted && k
      ? [
          `TRUSTED: fleet ${r.fleetId} key set v${k.version} (entry ${k.index}), ${count(k.keys.length, 'key')}, valid until ${iso(k.notAfter)}`,
          ...k.keys.map((x) => `  ${x.hsmId} ${x.alg} ${x.publicKey}`),
        ].join('\n')
      : failedLine(r.checks, 'NOT TRUSTED'),
  ];
}

export function proofReport(file: string, r: ProofAuditResult): Lines {
  const what = [r.kind, r.index !== undefined ? `index ${r.index}` : undefined, r.entryType].filter(Boolean).join(', ');
  return [`audit proof ${file} (${what})`, checksBlock(r.checks), r.ok ? 'VERIFIED' : failedLine(r.checks)];
}

/** checkpoint, inclusion, consistency: checks, the proof path from tiles, a verdict. */
export function liveReport(r: LiveResult, header: string, proofTitle: string, verified = 'VERIFIED'): Lines {
  return [header, checksBlock(r.checks), proofBlock(proofTitle, r.proof), r.ok ? verified : failedLine(r.checks)];
}

export function logReport(r: AuditLogResult, timeline: boolean): Lines {
  const rate = r.elapsedMs > 0 ? Math.round(r.newEntries / (r.elapsedMs / 1000)) : 0;
  const jobs = r.jobs ? `, ${r.jobs.workers} tiles hashed on them and ${r.jobs.inline} on the main thread` : '';
  return [
    `audit log ${r.log}${r.origin ? ` (${r.origin}, tree size ${r.size}${r.previousSize ? `, audited before up to ${r.previousSize}` : ''})` : ''}`,
    checksBlock(r.checks),
    r.fleetRules ? undefined : '  fleet history rules not applied: the policy has no fleetlog lines',
    r.resumedFrom !== undefined ? `  continued an interrupted audit from entry ${r.resumedFrom}` : undefined,
    `  ${count(r.newEntries, 'new entry', 'new entries')}, ${count(r.requests, 'request')}, ${(r.bytes / 1e6).toFixed(1)} MB in ${(r.elapsedMs / 1000).toFixed(1)} s (${rate} entries/s; ${count(r.workers, 'worker thread')}${jobs})`,
    timeline && r.history ? timelineBlock(r.history) : undefined,
    r.ok ? `VERIFIED: ${r.origin}@${r.size} root ${r.rootHash}` : failedLine(r.checks),
  ];
}

/** A policy witness's name for a monitoring URL, or the URL when the policy does not list it. */
export function witnessLabel(policy: Policy, url: string): string {
  const norm = (u: string): string => u.replace(/\/+$/, '');
  for (const w of policy.witnesses.values()) if (w.url !== undefined && norm(w.url) === norm(url)) return w.name;
  return url;
}

/** Alerts listed one by one up to this many of a kind; the rest of that kind become one summary line. */
export const ALERTS_SHOWN_PER_KIND = 10;

/** One line per alert, but at most ALERTS_SHOWN_PER_KIND of each kind and rule, then a count of the rest. */
export function alertLines(alerts: readonly Alert[]): string[] {
  const lines: string[] = [];
  const shown = new Map<string, number>();
  const hidden = new Map<string, number>();
  for (const a of alerts) {
    const group = `${a.kind} [${a.rule}]`;
    const n = shown.get(group) ?? 0;
    if (n < ALERTS_SHOWN_PER_KIND) {
      lines.push(`  ALERT ${group}: ${a.message}`);
      shown.set(group, n + 1);
    } else hidden.set(group, (hidden.get(group) ?? 0) + 1);
  }
  for (const [group, n] of hidden)
    lines.push(`  ... and ${count(n, 'more alert')} ${group} (all of them in --json and the hook)`);
  return lines;
}

export function roundReport(round: MonitorRound, fresh: readonly Alert[], policy: Policy, now: Date): Lines {
  const a = round.audit;
  return [
    `${now.toISOString()} ${a.origin ?? a.log}@${a.size ?? '?'}: ${count(a.newEntries, 'new entry', 'new entries')}, ${count(fresh.length, 'alert')}`,
    ...alertLines(fresh),
    ...round.witnesses.map((w) => {
      const name = w.name ?? witnessLabel(policy, w.url);
      const size = w.size !== undefined ? `size ${w.size} (${w.relation})` : undefined;
      const what = [size, w.note].filter((x) => x !== undefined).join(' ');
      return `  witness ${name}${name !== w.url ? ` (${w.url})` : ''}: ${what}`.trimEnd();
    }),
    fresh.some((x) => x.kind !== 'new_keyset') ? checksBlock(a.checks) : undefined,
  ];
}
