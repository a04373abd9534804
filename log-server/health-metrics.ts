/**
 * The gauges an operator alerts on, read when /metrics renders: the version, whether writes are
 * failing, whether PostgreSQL is reachable (PostgreSQL mode), the age of the newest signed and of
 * the published checkpoint, per witness the age of the last cosignature it returned (a witness
 * that stopped cosigning shows as a growing age), and the validation worker threads (ready,
 * replaced, stopped as stuck).
 */
import { FLEETLOG_VERSION } from '../service/version.ts';
import type { LogService } from './service.ts';

export function registerHealthMetrics(s: LogService, now: () => number = Date.now): void {
  const r = s.metrics.registry;
  r.buildInfo('log', FLEETLOG_VERSION);
  r.gauge('fleetlog_log_writes_failing', '1 while batches fail to commit (nothing new is stored), else 0').set(() =>
    s.sequencer.writesFailing ? 1 : 0,
  );
  const cluster = s.cluster;
  if (cluster)
    r.gauge('fleetlog_log_database_up', '1 while this process reaches PostgreSQL (its last lease poll), else 0').set(
      () => (cluster().databaseReachable ? 1 : 0),
    );
  r.gauge('fleetlog_log_last_checkpoint_age_seconds', 'seconds since the newest checkpoint was signed').set(() =>
    Math.max(0, (now() - s.sequencer.latest.signedAtMs) / 1000),
  );
  r.gaugeFamily(
    'fleetlog_log_published_checkpoint_age_seconds',
    'seconds since the checkpoint served at /checkpoint was signed',
    () => {
      const p = s.witnessing.published();
      return p ? [[{}, Math.max(0, (now() - p.signedAtMs) / 1000)]] : [];
    },
  );
  // Validation worker threads (with --threads): a stuck or dead one is replaced; these show it.
  const validation = () => s.validator.status();
  r.gaugeFamily('fleetlog_log_validation_workers_ready', 'validation worker threads ready to answer', () => {
    const v = validation();
    return v ? [[{}, v.ready]] : [];
  });
  r.gaugeFamily(
    'fleetlog_log_validation_worker_restarts',
    'validation worker threads replaced since start (died, or stopped as stuck)',
    () => {
      const v = validation();
      return v ? [[{}, v.restarts]] : [];
    },
  );
  r.gaugeFamily(
    'fleetlog_log_validation_worker_timeouts',
    'validation worker threads stopped since start because they held an entry past the deadline',
    () => {
      const v = validation();
      return v ? [[{}, v.timeouts]] : [];
    },
  );
  r.gaugeFamily(
    'fleetlog_log_witness_last_cosignature_age_seconds',
    'seconds since each witness last returned a valid cosignature',
    () =>
      s.witnessing
        .health()
        .witnesses.filter((w) => w.lastSuccessAt !== undefined)
        .map((w) => [{ witness: w.name }, Math.max(0, (now() - Date.parse(w.lastSuccessAt!)) / 1000)] as const),
  );
}
