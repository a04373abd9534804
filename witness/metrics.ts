/** The witness's Prometheus metrics (GET /metrics). */
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

export function createWitnessMetrics(): WitnessMetrics {
  const registry = new MetricsRegistry();
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
