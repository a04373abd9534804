// Every named scenario, end to end against a real log-server, three witnesses and in-process
// fleets: attacks must end in refusal at the right audit step, faults must fail safe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIOS, findScenario } from '../../simulator/scenarios/index.ts';
import { ScenarioWorld } from '../../simulator/scenarios/world.ts';

let world: ScenarioWorld;
beforeAll(async () => {
  world = await ScenarioWorld.start();
});
afterAll(async () => {
  await world?.close();
});

const expectedStep: Record<string, number | undefined> = {
  'key-substitution': 1,
  'unlogged-bundle': 2,
  'no-countersignature': 1,
  'forked-log': 4,
  rollback: 7,
  rotation: 8,
};

describe('scenarios', () => {
  it('the list names every scenario the issue asks for', () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual([
      'key-substitution',
      'unlogged-bundle',
      'no-countersignature',
      'forked-log',
      'rollback',
      'rotation',
      'brute-force',
      'minority-down',
      'majority-down',
      'partition-guess-limit',
      'hsm-rejoin',
    ]);
  });

  for (const s of SCENARIOS) {
    it(`${s.name}: ${s.expect}`, async () => {
      const result = await findScenario(s.name).run(world);
      expect(result.passed, result.lines.join('\n')).toBe(true);
      if (expectedStep[s.name] !== undefined) {
        expect(result.refusedAtStep).toBe(expectedStep[s.name]);
        expect(result.lines.join('\n')).toContain(`refused at audit step ${expectedStep[s.name]}`);
      }
    });
  }
});
