/** The named scenarios (`fleetlog sim scenario --list`) and a runner with a readable report. */
import { FleetlogError } from '../../core/errors.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';
import { bruteForce, majorityDown, minorityDown, partitionGuessLimit } from './fleet-faults.ts';
import { rotation } from './rotation.ts';
import { hsmRejoin } from './rejoin.ts';
import { forkedLog, keySubstitution, missingCountersignature, rollback, unloggedBundle } from './trust-attacks.ts';
import { ScenarioWorld } from './world.ts';

export const SCENARIOS: readonly Scenario[] = [
  keySubstitution,
  unloggedBundle,
  missingCountersignature,
  forkedLog,
  rollback,
  rotation,
  bruteForce,
  minorityDown,
  majorityDown,
  partitionGuessLimit,
  hsmRejoin,
];

export function findScenario(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s)
    throw new FleetlogError('usage', `no scenario ${JSON.stringify(name)}; fleetlog sim scenario --list shows them`);
  return s;
}

export interface ScenarioRun extends ScenarioResult {
  readonly name: string;
  readonly title: string;
  readonly expect: string;
  readonly ms: number;
}

/** Runs scenarios in order in one world (a fresh log and witnesses), reporting as it goes. */
export async function runScenarios(
  scenarios: readonly Scenario[],
  options: { dataDir?: string; write?: (line: string) => void } = {},
): Promise<ScenarioRun[]> {
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const world = await ScenarioWorld.start(options.dataDir);
  const runs: ScenarioRun[] = [];
  try {
    for (const s of scenarios) {
      const started = performance.now();
      let result: ScenarioResult;
      try {
        result = await s.run(world);
      } catch (e) {
        result = {
          passed: false,
          lines: [`scenario crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`],
        };
      }
      const run = { name: s.name, title: s.title, expect: s.expect, ms: performance.now() - started, ...result };
      runs.push(run);
      write(`${run.passed ? '✓' : '✗'} ${s.name}: ${s.title}`);
      write(`    expect: ${s.expect}`);
      for (const l of run.lines) write(`    ${l}`);
    }
  } finally {
    await world.close();
  }
  return runs;
}
