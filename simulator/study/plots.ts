/**
 * The study's figures, drawn by Vega (vega 6, a dev dependency, loaded only when plotting) as
 * SVG from the results JSON: latency against fleet size for each placement with the round-trip
 * limit drawn in, and availability against HSMs down. Each figure's title says which model
 * produced it (in-process model, or real processes on loopback with injected delay).
 */
import type { AvailabilityCell } from './availability.ts';
import type { LatencyCell } from './measure.ts';
import type { ProcessCell } from './measure-processes.ts';

type Spec = Record<string, unknown>;

const WIDTH = 460;
const HEIGHT = 260;

function frame(title: string, subtitle: string[], body: Spec): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width: WIDTH,
    height: HEIGHT,
    padding: 8,
    background: 'white',
    title: { text: title, subtitle, anchor: 'start', fontSize: 13, subtitleFontSize: 10, subtitleColor: '#555' },
    ...body,
  };
}

/** p50 (solid), p99 (dotted) and the round-trip bound (dashed) per client region, vs fleet size. */
export function latencySpec(cells: readonly LatencyCell[], regions: number, source: string): Spec {
  const rows = cells
    .filter((c) => c.regions === regions)
    .flatMap((c) => [
      { size: c.size, client: c.clientRegion, kind: 'p50 measured', ms: c.p50Ms },
      { size: c.size, client: c.clientRegion, kind: 'p99 measured', ms: c.p99Ms },
      { size: c.size, client: c.clientRegion, kind: 'round-trip limit', ms: c.bound.boundMs },
    ]);
  return frame(
    `Recovery latency, fleet over ${regions} region${regions === 1 ? '' : 's'} (in-process model)`,
    [
      'Solid: measured p50; dotted: measured p99; dashed: round-trip limit',
      `(4 RTT to the nearest majority + 2 client RTT). Latency model: ${source}`,
    ],
    {
      data: [{ name: 'rows', values: rows }],
      scales: [
        { name: 'x', type: 'point', domain: [3, 5, 7, 9], range: 'width', padding: 0.3 },
        { name: 'y', type: 'linear', domain: { data: 'rows', field: 'ms' }, range: 'height', nice: true, zero: true },
        { name: 'color', type: 'ordinal', domain: { data: 'rows', field: 'client' }, range: 'category' },
        {
          name: 'dash',
          type: 'ordinal',
          domain: ['p50 measured', 'p99 measured', 'round-trip limit'],
          range: [
            [1, 0],
            [1, 3],
            [6, 4],
          ],
        },
      ],
      axes: [
        { orient: 'bottom', scale: 'x', title: 'HSMs in the fleet' },
        { orient: 'left', scale: 'y', title: 'recovery latency (ms)', grid: true },
      ],
      legends: [
        { fill: 'color', stroke: 'color', title: 'client in', symbolType: 'stroke' },
        { strokeDash: 'dash', title: 'line', symbolType: 'stroke' },
      ],
      marks: [
        {
          type: 'group',
          from: { facet: { name: 'series', data: 'rows', groupby: ['client', 'kind'] } },
          marks: [
            {
              type: 'line',
              from: { data: 'series' },
              sort: { field: 'datum.size' },
              encode: {
                enter: {
                  x: { scale: 'x', field: 'size' },
                  y: { scale: 'y', field: 'ms' },
                  stroke: { scale: 'color', field: 'client' },
                  strokeDash: { scale: 'dash', field: 'kind' },
                  strokeWidth: { value: 1.6 },
                },
              },
            },
          ],
        },
        {
          type: 'symbol',
          from: { data: 'rows' },
          encode: {
            enter: {
              x: { scale: 'x', field: 'size' },
              y: { scale: 'y', field: 'ms' },
              fill: { scale: 'color', field: 'client' },
              size: { signal: "datum.kind === 'p50 measured' ? 28 : 0" },
            },
          },
        },
      ],
    },
  );
}

/** Share of recoveries that succeed against the number of HSMs down, one line per fleet size. */
export function availabilitySpec(cells: readonly AvailabilityCell[], regions: number): Spec {
  const rows = cells
    .filter((c) => c.regions === regions)
    .flatMap((c) => c.hsmsDown.map((d) => ({ size: `${c.size} HSMs`, n: c.size, k: d.k, rate: d.successRate * 100 })));
  const trials = cells[0]?.hsmsDown[0]?.trials ?? 0;
  return frame(
    `Availability with k HSMs down, fleet over ${regions} region${regions === 1 ? '' : 's'} (in-process model)`,
    [`Share of recoveries that succeed; ${trials} seeded random choices of the k HSMs per point.`],
    {
      data: [{ name: 'rows', values: rows }],
      scales: [
        { name: 'x', type: 'linear', domain: [0, 9], range: 'width', nice: false, zero: true },
        { name: 'y', type: 'linear', domain: [0, 100], range: 'height' },
        { name: 'color', type: 'ordinal', domain: { data: 'rows', field: 'size', sort: true }, range: 'category' },
      ],
      axes: [
        { orient: 'bottom', scale: 'x', title: 'HSMs down (k)', tickCount: 10, format: 'd' },
        { orient: 'left', scale: 'y', title: 'recoveries that succeed (%)', grid: true },
      ],
      legends: [{ stroke: 'color', fill: 'color', title: 'fleet', symbolType: 'stroke' }],
      marks: [
        {
          type: 'group',
          from: { facet: { name: 'series', data: 'rows', groupby: ['size'] } },
          marks: [
            {
              type: 'line',
              from: { data: 'series' },
              sort: { field: 'datum.k' },
              encode: {
                enter: {
                  x: { scale: 'x', field: 'k' },
                  y: { scale: 'y', field: 'rate' },
                  stroke: { scale: 'color', field: 'size' },
                  strokeWidth: { value: 2 },
                  interpolate: { value: 'step-after' },
                },
              },
            },
          ],
        },
        {
          type: 'symbol',
          from: { data: 'rows' },
          encode: {
            enter: {
              x: { scale: 'x', field: 'k' },
              y: { scale: 'y', field: 'rate' },
              fill: { scale: 'color', field: 'size' },
              size: { value: 24 },
            },
          },
        },
      ],
    },
  );
}

/** Processes on loopback vs the in-process model vs the limit, per client region (bars). */
export function processSpec(processes: readonly ProcessCell[], model: readonly LatencyCell[]): Spec {
  const rows = processes.flatMap((p) => {
    const m = model.find((c) => c.size === p.size && c.regions === p.regions && c.clientRegion === p.clientRegion);
    return [
      { client: p.clientRegion, kind: 'round-trip limit', ms: p.bound.boundMs },
      ...(m ? [{ client: p.clientRegion, kind: 'in-process model p50', ms: m.p50Ms }] : []),
      { client: p.clientRegion, kind: 'processes p50', ms: p.p50Ms },
      { client: p.clientRegion, kind: 'processes p50, no delay', ms: p.noDelayP50Ms },
      { client: p.clientRegion, kind: 'processes p99', ms: p.p99Ms },
    ];
  });
  const first = processes[0];
  return frame(
    `Recovery latency, ${first?.size ?? '?'} HSMs over ${first?.regions ?? '?'} regions: real processes on loopback with injected delay`,
    [
      'Wall time (CPU, HTTP, SQLite included) next to the in-process model and the round-trip limit;',
      '"no delay": the same processes without injected delay (what CPU and I/O cost on their own).',
    ],
    {
      data: [{ name: 'rows', values: rows }],
      scales: [
        { name: 'x', type: 'band', domain: { data: 'rows', field: 'client' }, range: 'width', padding: 0.2 },
        { name: 'y', type: 'linear', domain: { data: 'rows', field: 'ms' }, range: 'height', nice: true, zero: true },
        {
          name: 'color',
          type: 'ordinal',
          domain: [
            'round-trip limit',
            'in-process model p50',
            'processes p50, no delay',
            'processes p50',
            'processes p99',
          ],
          range: ['#bbbbbb', '#4c78a8', '#72b7b2', '#f58518', '#e45756'],
        },
      ],
      axes: [
        { orient: 'bottom', scale: 'x', title: 'client in' },
        { orient: 'left', scale: 'y', title: 'recovery latency (ms)', grid: true },
      ],
      legends: [{ fill: 'color', title: '', labelLimit: 240 }],
      marks: [
        {
          type: 'group',
          from: { facet: { name: 'byClient', data: 'rows', groupby: 'client' } },
          encode: { enter: { x: { scale: 'x', field: 'client' }, width: { scale: 'x', band: 1 } } },
          signals: [{ name: 'width', update: "bandwidth('x')" }],
          scales: [
            {
              name: 'inner',
              type: 'band',
              domain: [
                'round-trip limit',
                'in-process model p50',
                'processes p50, no delay',
                'processes p50',
                'processes p99',
              ],
              range: 'width',
              padding: 0.1,
            },
          ],
          marks: [
            {
              type: 'rect',
              from: { data: 'byClient' },
              encode: {
                enter: {
                  x: { scale: 'inner', field: 'kind' },
                  width: { scale: 'inner', band: 1 },
                  y: { scale: 'y', field: 'ms' },
                  y2: { scale: 'y', value: 0 },
                  fill: { scale: 'color', field: 'kind' },
                },
              },
            },
          ],
        },
      ],
    },
  );
}

/** Renders a Vega spec to SVG text, headless (no browser, no canvas). */
export async function renderSvg(spec: Spec): Promise<string> {
  const vega = await import('vega');
  const view = new vega.View(vega.parse(spec as never), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
