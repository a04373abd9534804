/** The log-server's Prometheus metrics, in one place so names stay consistent. */
import { LATENCY_BUCKETS, MetricsRegistry, type Counter, type Gauge, type Histogram } from '../service/metrics.ts';

export interface LogMetrics {
  readonly registry: MetricsRegistry;
  /** result = accepted | duplicate | rejected */
  readonly appends: Counter;
  readonly batchSize: Histogram;
  readonly batchSeconds: Histogram;
  readonly addEntrySeconds: Histogram;
  readonly treeSize: Gauge;
  readonly publishedSize: Gauge;
  /** witness, outcome = ok | conflict | rejected | forbidden | unknown_log | bad_request | error | timeout | bad_response */
  readonly witnessRequests: Counter;
  readonly witnessSize: Gauge;
  readonly witnessSeconds: Histogram;
  /** --publish-dir: size of the checkpoint in the static directory, and failed publication rounds. */
  readonly staticSize: Gauge;
  readonly staticFailures: Counter;
}

export function createLogMetrics(): LogMetrics {
  const registry = new MetricsRegistry();
  return {
    registry,
    appends: registry.counter(
      'fleetlog_log_appends_total',
      'add-entry submissions by result (accepted, duplicate, rejected)',
    ),
    batchSize: registry.histogram(
      'fleetlog_log_batch_entries',
      'new entries integrated per batch',
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
    ),
    batchSeconds: registry.histogram(
      'fleetlog_log_batch_seconds',
      'time to integrate, sign and durably commit one batch',
      LATENCY_BUCKETS,
    ),
    addEntrySeconds: registry.histogram(
      'fleetlog_log_add_entry_seconds',
      'add-entry latency from request to acknowledgement',
      LATENCY_BUCKETS,
    ),
    treeSize: registry.gauge('fleetlog_log_tree_size', 'size of the latest signed checkpoint'),
    publishedSize: registry.gauge(
      'fleetlog_log_published_size',
      'size of the checkpoint served at /checkpoint (quorum met)',
    ),
    witnessRequests: registry.counter(
      'fleetlog_log_witness_requests_total',
      'add-checkpoint requests to witnesses by outcome',
    ),
    witnessSize: registry.gauge('fleetlog_log_witness_size', 'tree size each witness last acknowledged'),
    witnessSeconds: registry.histogram(
      'fleetlog_log_witness_request_seconds',
      'add-checkpoint round-trip time',
      LATENCY_BUCKETS,
    ),
    staticSize: registry.gauge('fleetlog_log_static_size', 'size of the checkpoint in the --publish-dir directory'),
    staticFailures: registry.counter(
      'fleetlog_log_static_failures_total',
      'static publication rounds that failed (the directory keeps its previous checkpoint)',
    ),
  };
}
