/** What a named scenario is and what it reports. */
import type { StepNumber } from '../../core/audit/steps.ts';
import type { ScenarioWorld } from './world.ts';

export interface ScenarioResult {
  /** The expected outcome happened (a refusal at the right step, or the fleet kept working). */
  readonly passed: boolean;
  /** The audit step that refused, when the scenario ends in an audit refusal. */
  readonly refusedAtStep?: StepNumber;
  /** Where the refusal happened, in words (e.g. "client key check", "fleet: no majority"). */
  readonly refusedBy?: string;
  readonly lines: readonly string[];
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** What must happen, in one sentence. */
  readonly expect: string;
  run(world: ScenarioWorld): Promise<ScenarioResult>;
}
