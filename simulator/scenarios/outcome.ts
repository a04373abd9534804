/** Reading what a refused operation tells us: which audit step, or which other check, said no. */
import type { StepNumber } from '../../core/audit/steps.ts';
import { isFleetlogError } from '../../core/errors.ts';

export interface Refusal {
  readonly code: string;
  readonly step?: StepNumber;
  readonly message: string;
}

/** Runs `op`; returns how it was refused, or undefined if it succeeded. Non-fleetlog errors propagate. */
export async function refusal(op: () => Promise<unknown>): Promise<Refusal | undefined> {
  try {
    await op();
    return undefined;
  } catch (e) {
    if (!isFleetlogError(e)) throw e;
    const step = (e.detail as { step?: StepNumber } | undefined)?.step;
    return step === undefined ? { code: e.code, message: e.message } : { code: e.code, step, message: e.message };
  }
}

export function describeRefusal(r: Refusal | undefined): string {
  if (!r) return 'NOT refused: the operation succeeded';
  // Audit refusals already say "refused at audit step N (title): reason".
  return r.step !== undefined && r.message.startsWith('refused at audit step')
    ? r.message
    : `refused (${r.code}${r.step !== undefined ? `, audit step ${r.step}` : ''}): ${r.message}`;
}
