/**
 * A minimal Prometheus text-format registry: counters, gauges and histograms with fixed buckets.
 * Enough for /metrics without a dependency; labels are a small fixed set per metric.
 */
type Labels = Record<string, string>;

function labelKey(labels: Labels | undefined): string {
  if (!labels) return '';
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  readonly #values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels?: Labels, by = 1): void {
    const k = labelKey(labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.#values.size === 0) lines.push(`${this.name} 0`);
    for (const [k, v] of this.#values) lines.push(`${this.name}${k} ${v}`);
    return lines.join('\n');
  }
}

export class Gauge implements Metric {
  readonly #values = new Map<string, () => number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  set(value: number | (() => number), labels?: Labels): void {
    this.#values.set(labelKey(labels), typeof value === 'function' ? value : () => value);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [k, v] of this.#values) lines.push(`${this.name}${k} ${v()}`);
    return lines.join('\n');
  }
}

/**
 * A gauge whose labelled values are read when /metrics renders (e.g. one per log or witness); or
 * a counter kept elsewhere and read the same way (`type` 'counter').
 */
export class GaugeFamily implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly collect: () => Iterable<readonly [Labels, number]>,
    readonly type: 'gauge' | 'counter' = 'gauge',
  ) {}
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const [labels, v] of this.collect()) lines.push(`${this.name}${labelKey(labels)} ${v}`);
    return lines.join('\n');
  }
}

export class Histogram implements Metric {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.#counts = new Array(buckets.length).fill(0);
  }
  observe(value: number): void {
    this.#sum += value;
    this.#count += 1;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.#counts[i]! += 1;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => {
      lines.push(`${this.name}_bucket{le="${b}"} ${this.#counts[i]}`);
    });
    lines.push(
      `${this.name}_bucket{le="+Inf"} ${this.#count}`,
      `${this.name}_sum ${this.#sum}`,
      `${this.name}_count ${this.#count}`,
    );
    return lines.join('\n');
  }
}

export class MetricsRegistry {
  readonly #metrics: Metric[] = [];
  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.#add(new Gauge(name, help));
  }
  gaugeFamily(name: string, help: string, collect: () => Iterable<readonly [Labels, number]>): GaugeFamily {
    return this.#add(new GaugeFamily(name, help, collect));
  }
  /** A counter whose labelled values live elsewhere (each must only grow), read when /metrics renders. */
  counterFamily(name: string, help: string, collect: () => Iterable<readonly [Labels, number]>): GaugeFamily {
    return this.#add(new GaugeFamily(name, help, collect, 'counter'));
  }
  /** `fleetlog_build_info{component, version} 1`, the Prometheus convention for a version. */
  buildInfo(component: string, version: string): void {
    this.gauge('fleetlog_build_info', 'the running fleetlog version').set(1, { component, version });
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }
  render(): string {
    return `${this.#metrics.map((m) => m.render()).join('\n')}\n`;
  }
  #add<T extends Metric>(m: T): T {
    this.#metrics.push(m);
    return m;
  }
}

/** Seconds buckets for request and batch latencies. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
