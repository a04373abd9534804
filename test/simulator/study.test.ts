// A small, fast run of `fleetlog sim study` (simulator/study/): the JSON, the SVG figures and the
// page it writes, and that the page's numbers are the JSON's. The default run is `npm run study`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStudy } from '../../simulator/study/study.ts';
import { tempDir } from '../support/process.ts';

describe('sim study (smoke)', () => {
  it('measures 3 HSMs over 1-2 regions, writes JSON, plots and a page built from the JSON', async () => {
    const out = tempDir('fleetlog-study-');
    const r = await runStudy({
      out,
      sizes: [3],
      maxRegions: 2,
      samples: 3,
      trials: 1,
      processes: false,
      rotations: 1,
      log: () => undefined,
    });
    const json = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as typeof r;
    expect(json.run).toBe('custom');
    // 1 size × 2 placements × 5 client regions, each against its round-trip limit.
    expect(json.latency.cells).toHaveLength(10);
    for (const c of json.latency.cells) {
      expect(c.samples).toBe(3);
      // Simulated time: no recovery can beat the round trips it needs; jitter keeps it close.
      expect(c.ratioP50).toBeGreaterThanOrEqual(0.999);
      expect(c.ratioP50).toBeLessThan(1.2);
      expect(c.p99Ms).toBeGreaterThanOrEqual(c.p50Ms);
    }
    // 3 HSMs: one may be down, two may not; over 2 regions (2 + 1 HSMs) losing the region with 2 fails.
    const two = json.availability.cells.find((a) => a.regions === 2)!;
    expect(two.hsmsDown.map((d) => d.successRate)).toEqual([1, 1, 0, 0]);
    expect(two.regionLost.map((x) => [x.region, x.recovered])).toEqual([
      ['us-east-1', false],
      ['eu-west-1', true],
    ]);
    // One fleet rotation through a real log and witnesses on loopback, used over the air.
    expect(json.rotation?.rotations).toBe(1);
    expect(json.rotation!.publishP50Ms).toBeGreaterThan(0);
    expect(json.rotation!.firstUseP50Ms).toBeGreaterThan(0);
    expect(json.processes).toBeNull();

    for (const f of ['latency-1-regions.svg', 'latency-2-regions.svg', 'availability-2-regions.svg']) {
      const svg = readFileSync(join(out, f), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('in-process model');
    }
    const page = readFileSync(join(out, 'README.md'), 'utf8');
    expect(page).not.toMatch(/NaN|undefined/);
    const c = json.latency.cells.find((x) => x.regions === 2 && x.clientRegion === 'eu-west-1')!;
    expect(page).toContain(`eu-west-1 ${Math.round(c.p50Ms)} ms [${Math.round(c.bound.boundMs)} ms]`);
    expect(page).toContain(json.latencyModel.source);
    expect(page).toContain(`took p50 ${Math.round(json.rotation!.publishP50Ms)} ms`);
  });
});
