/** `fleetlog audit log`: the full audit of any C2SP tlog-tiles log, resumable. */
import { Command } from '@commander-js/extra-typings';
import {
  hiddenAlias,
  jsonOption,
  logOption,
  parseCount,
  retriesOption,
  threadsOption,
  timeoutOption,
} from '../../cli/options.ts';
import { action, EXIT_OK, EXIT_VERIFY_FAILED } from '../../cli/run.ts';
import { readStateFile, removeFile, writeStateFile } from '../files.ts';
import { logReport } from '../human.ts';
import { saveInconsistencyEvidence } from '../inconsistency-evidence.ts';
import { AuditInterrupted, auditLog, type AuditLogResult } from '../log-audit/audit-log.ts';
import { parsePartialAudit, serializePartialAudit, type PartialAudit } from '../log-audit/log-state.ts';
import { printHuman, printJson, proofJson } from '../output.ts';
import { progressReporter } from '../progress.ts';
import { logAuditInputs, network, saveLogState } from './inputs.ts';

/** 128 + SIGINT, the shell's convention for a command stopped by Ctrl-C. */
const EXIT_INTERRUPTED = 130;

export const hashingThreadsOption = () =>
  threadsOption('hashing worker threads (default: one per core when the work is large)');

export function logCommand() {
  const cmd = new Command('log')
    .description(
      'full audit of any C2SP tlog-tiles log: every tile and entry, the root, signatures, quorum, consistency, fleet history',
    )
    .addOption(logOption().makeOptionMandatory())
    .requiredOption('--policy <file>', 'trust policy; fleetlog lines turn on the fleet history rules')
    .option('--state <file>', 'resume from and save to this audit state file')
    .addOption(hashingThreadsOption())
    .option('--concurrency <n>', 'tiles fetched ahead', parseCount(1024, 1), 16)
    .option('--no-timeline', 'do not print the timeline of fleets')
    .addOption(jsonOption())
    .addOption(timeoutOption())
    .addOption(retriesOption());
  hiddenAlias(cmd, '--workers <n>', 'threads', 'use --threads N', parseCount(64));
  return cmd.action(
    action(async (o) => {
      const inputs = logAuditInputs(o);
      // An interrupted run leaves its progress next to the state file; the next run continues it.
      const partialPath = o.state ? `${o.state}.partial` : undefined;
      const partialText = partialPath ? readStateFile(partialPath) : undefined;
      const partial = partialText ? parsePartialAudit(partialText) : undefined;
      const progress = progressReporter();
      // Ctrl-C or SIGTERM: stop, and save the progress up to the last full tile at once.
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let r: AuditLogResult;
      try {
        r = await auditLog({
          log: o.log,
          ...inputs,
          ...(partial ? { partial } : {}),
          concurrency: o.concurrency,
          ...network(o),
          onStart: ({ size, from }) => progress.start(size - from),
          onProgress: (p) => progress.update(p),
          ...(partialPath
            ? { onPartial: (p: PartialAudit) => writeStateFile(partialPath, serializePartialAudit(p)) }
            : {}),
          signal: stop.signal,
        });
      } catch (e) {
        if (!(e instanceof AuditInterrupted)) throw e;
        progress.stop();
        process.stderr.write(
          e.savedAt !== undefined && partialPath
            ? `fleetlog: interrupted; progress up to entry ${e.savedAt} saved in ${partialPath}: run the same command to continue\n`
            : `fleetlog: interrupted${partialPath ? ' before the first 256 entries were audited; nothing to save' : ' (no --state: nothing saved)'}\n`,
        );
        // Requests still in flight (a stalled log) would keep the process alive until they time out.
        setTimeout(() => process.exit(EXIT_INTERRUPTED), 200).unref();
        return EXIT_INTERRUPTED;
      } finally {
        progress.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (r.state) saveLogState(o.state, r.state);
      const evidenceFile = saveInconsistencyEvidence(o.state, r);
      // Done (or the tree failed, so its progress is worth nothing): no partial run to continue.
      if (partialPath && (r.state || r.checks.some((c) => c.step === 2 && c.status === 'fail')))
        removeFile(partialPath);
      if (o.json) {
        const { state: _s, history, consistencyProof, inconsistency: _i, ...rest } = r;
        printJson({
          command: 'audit log',
          ...rest,
          ...(evidenceFile ? { evidenceFile } : {}),
          ...(consistencyProof ? { consistencyProof: proofJson(consistencyProof) } : {}),
          ...(history ? { fleets: history.fleets, violations: history.violations } : {}),
        });
      } else {
        printHuman(logReport(r, o.timeline));
        if (evidenceFile)
          process.stdout.write(
            `the log-signed checkpoint that contradicts the last audit is saved in ${evidenceFile}\n`,
          );
      }
      return r.ok ? EXIT_OK : EXIT_VERIFY_FAILED;
    }),
  );
}
