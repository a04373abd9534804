/**
 * The `audit log` progress bar: rate and ETA on a terminal (cli-progress, on stderr), nothing at
 * all when stderr is a pipe or a file, so scripts and CI logs stay clean.
 */
import cliProgress from 'cli-progress';
import type { AuditProgress } from './log-audit/audit-log.ts';

export interface ProgressReporter {
  start(total: number): void;
  update(p: AuditProgress): void;
  stop(): void;
}

const QUIET: ProgressReporter = { start() {}, update() {}, stop() {} };

export function progressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (!stream.isTTY) return QUIET;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        'audit log |{bar}| {percentage}% | {value}/{total} entries | {rate} entries/s | {mb} MB | ETA {eta_formatted}',
      etaBuffer: 50,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let t0 = 0;
  return {
    start(total) {
      t0 = performance.now();
      bar.start(total, 0, { rate: 0, mb: '0.0' });
    },
    update(p) {
      const seconds = (performance.now() - t0) / 1000;
      bar.update(p.done, { rate: seconds > 0 ? Math.round(p.done / seconds) : 0, mb: (p.bytes / 1e6).toFixed(1) });
    },
    stop() {
      bar.stop();
    },
  };
}
