/** The witness's Prometheus metrics (GET /metrics). */
import { FLEETLOG_VERSION } from '../service/version.ts';
import type { PoolStatus } from '../service/capped-pool.ts';
import { LATENCY_BUCKETS, MetricsRegistry, type Counter, type Gauge, type Histogram } from '../service/metrics.ts';

export interface WitnessMetrics {
  readonly registry: MetricsRegistry;
  readonly requests: Counter;
  readonly latency: Histogram;
  readonly splitViews: Counter;
  readonly casLost: Counter;
  readonly commitBatch: Histogram;
  readonly logs: Gauge;
}

/** What /metrics reads from the store when it renders. */
export interface WitnessMetricSources {
  /** Per log: the newest cosignature timestamp issued (seconds since the epoch). */
  cosignatureTimes(): Array<{ origin: string; lastTimestamp: number }>;
  evidenceCounts(): { proven: number; unproven: number };
  clock(): number;
  /** PostgreSQL: each connection pool's state. */
  poolStatus?(): Record<string, PoolStatus>;
}

export function createWitnessMetrics(sources?: WitnessMetricSources): WitnessMetrics {
  const registry = new MetricsRegistry();
  registry.buildInfo('witness', FLEETLOG_VERSION);
  if (sources) {
    registry.gaugeFamily(
      'fleetlog_witness_last_cosignature_age_seconds',
      'seconds since the newest cosignature this witness issued, per log',
      () =>
        sources
          .cosignatureTimes()
          .map((l) => [{ origin: l.origin }, Math.max(0, sources.clock() / 1000 - l.lastTimestamp)] as const),
    );
    registry
      .gauge(
        'fleetlog_witness_clock_behind_seconds',
        'seconds the clock is behind the newest cosignature timestamp issued (0 unless the clock went back)',
      )
      .set(() => {
        const newest = Math.max(0, ...sources.cosignatureTimes().map((l) => l.lastTimestamp));
        return Math.max(0, newest - Math.floor(sources.clock() / 1000));
      });
    registry.gaugeFamily('fleetlog_witness_evidence', 'split-view evidence documents held, by kind', () => {
      const c = sources.evidenceCounts();
      return [
        [{ proven: 'true' }, c.proven],
        [{ proven: 'false' }, c.unproven],
      ];
    });
    const pools = sources.poolStatus;
    if (pools) {
      const each = (field: keyof PoolStatus) => () =>
        Object.entries(pools()).map(([pool, s]) => [{ pool }, s[field]] as const);
      registry.gaugeFamily(
        'fleetlog_witness_database_connections',
        'open PostgreSQL connections per pool (reads, checks, writer)',
        each('connections'),
      );
      registry.gaugeFamily(
        'fleetlog_witness_database_waiting',
        'callers waiting for a connection per pool (reads and checks are capped at 64)',
        each('waiting'),
      );
      registry.counterFamily(
        'fleetlog_witness_database_busy_total',
        'callers refused at once with 503 "the witness is busy" because the pool\'s queue was full',
        each('refused'),
      );
    }
  }
  return {
    registry,
    requests: registry.counter('fleetlog_witness_add_checkpoint_total', 'add-checkpoint requests by HTTP status'),
    latency: registry.histogram(
      'fleetlog_witness_add_checkpoint_seconds',
      'add-checkpoint latency, from body read to response',
      LATENCY_BUCKETS,
    ),
    splitViews: registry.counter(
      'fleetlog_witness_split_views_total',
      'checkpoints signed by a trusted log key that conflict with a cosigned one (stored: new evidence)',
    ),
    casLost: registry.counter(
      'fleetlog_witness_cas_lost_total',
      'compare-and-swap attempts lost to a concurrent request for the same log',
    ),
    commitBatch: registry.histogram(
      'fleetlog_witness_commit_batch_size',
      'writes made durable by one group commit (one fsync)',
      [1, 2, 4, 8, 16, 32, 64, 128, 256],
    ),
    logs: registry.gauge('fleetlog_witness_logs', 'logs this witness is configured to cosign'),
  };
}
