/**
 * How every audit command reports: a list of checks, each named by its step number in
 * specs/audit.md (STEP_TITLES in core/audit/steps.ts) where it has one, with PASS / FAIL / SKIP and
 * a reason. The same objects go out as JSON with --json.
 */
import { STEP_TITLES, type StepNumber, type StepResult } from '../core/audit/steps.ts';

export interface CheckResult {
  /** The spec step this check implements; absent for checks the spec has no number for. */
  readonly step?: StepNumber;
  /** The rule id of specs/audit.md Parts B and C (L1-L4, F1-F5), for the whole-log audit. */
  readonly rule?: string;
  readonly title: string;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly reason: string;
}

export const passed = (checks: readonly CheckResult[]): boolean => checks.every((c) => c.status !== 'fail');

export function check(
  step: StepNumber | undefined,
  title: string | undefined,
  ok: boolean,
  reason: string,
): CheckResult {
  const t = title ?? (step !== undefined ? STEP_TITLES[step] : '');
  return step === undefined
    ? { title: t, status: ok ? 'pass' : 'fail', reason }
    : { step, title: t, status: ok ? 'pass' : 'fail', reason };
}

/** A step not run, under the title the command gives that step (audit log's step 2 checks every entry). */
export function skip(step: StepNumber, reason: string, title: string = STEP_TITLES[step]): CheckResult {
  return { step, title, status: 'skip', reason };
}

export function fromStepResult(r: StepResult): CheckResult {
  return { step: r.step, title: r.title, status: r.ok ? 'pass' : 'fail', reason: r.reason };
}

/** Labels a check with its rule id, if any, as `L1` or `F3`. */
export function withRule(c: CheckResult, rule: string): CheckResult {
  return { ...c, rule };
}

/** `  step 3  PASS  checkpoint signature by the log: signed by ...` (with `[L1]` for a log-audit rule). */
export function formatCheck(c: CheckResult): string {
  const label = c.step !== undefined ? `step ${c.step}` : 'check ';
  const status = c.status === 'pass' ? 'PASS' : c.status === 'fail' ? 'FAIL' : 'SKIP';
  return `  ${label}  ${status}  ${c.rule ? `[${c.rule}] ` : ''}${c.title}: ${c.reason}`;
}

export function formatChecks(checks: readonly CheckResult[]): string {
  return checks.map(formatCheck).join('\n');
}

/** The first failed check, for one-line summaries. */
export function firstFailure(checks: readonly CheckResult[]): CheckResult | undefined {
  return checks.find((c) => c.status === 'fail');
}
