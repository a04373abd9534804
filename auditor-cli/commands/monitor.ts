/** `fleetlog audit monitor`: follow a log and alert. */
import { Command, Option } from '@commander-js/extra-typings';
import {
  durationOption,
  hiddenAlias,
  jsonOption,
  logOption,
  parseCount,
  retriesOption,
  timeoutOption,
} from '../../cli/options.ts';
import { action, printError } from '../../cli/run.ts';
import { saveInconsistencyEvidence } from '../inconsistency-evidence.ts';
import { FleetlogError } from '../../core/errors.ts';
import { roundReport } from '../human.ts';
import { runMonitor, type Alert, type MonitorRound } from '../monitor.ts';
import { printHuman } from '../output.ts';
import type { Policy } from '../../core/policy/policy.ts';
import { hashingThreadsOption } from './log.ts';
import { logAuditInputs, network, saveLogState } from './inputs.ts';

function roundJson(round: MonitorRound, fresh: readonly Alert[], now: Date): string {
  const a = round.audit;
  return `${JSON.stringify({ time: now.toISOString(), origin: a.origin, size: a.size, rootHash: a.rootHash, newEntries: a.newEntries, alerts: fresh, warnings: round.warnings, witnesses: round.witnesses, checks: a.checks })}\n`;
}

function printRound(round: MonitorRound, fresh: readonly Alert[], policy: Policy, json: boolean): void {
  const now = new Date();
  if (json) process.stdout.write(roundJson(round, fresh, now));
  else {
    printHuman(roundReport(round, fresh, policy, now));
    for (const w of round.warnings) process.stderr.write(`fleetlog: warning: ${w}\n`);
  }
}

export function monitorCommand() {
  const cmd = new Command('monitor')
    .description('follow a log; alert on inconsistency, rollback, split view, new fleet key sets, stale checkpoints')
    .addOption(logOption().makeOptionMandatory())
    .requiredOption('--policy <file>', 'trust policy')
    .addOption(
      new Option(
        '--witness <url>',
        'witness monitoring URL prefix: a policy witness URL, or NAME=URL for a policy witness (repeatable)',
      )
        .argParser((v: string, acc: string[]) => [...acc, v])
        .default([] as string[], 'none'),
    )
    .addOption(durationOption('--interval <duration>', 'time between rounds', 60_000))
    .option('--hook <command>', 'run this shell command for each alert (alert JSON on stdin) instead of exiting 1')
    .option('--once', 'run one round: exit 0 if quiet, 1 if there was an alert')
    .option('--state <file>', 'audit state file to resume from and save to')
    .addOption(
      durationOption(
        '--max-age <duration>',
        'alert when the newest trusted cosignature is older than this',
        86_400_000,
        1000,
      ),
    )
    .addOption(hashingThreadsOption())
    .addOption(jsonOption())
    .addOption(timeoutOption())
    .addOption(retriesOption());
  hiddenAlias(cmd, '--workers <n>', 'threads', 'use --threads N', parseCount(64));
  return cmd.action(
    action(async (o) => {
      const inputs = logAuditInputs(o);
      if (!o.once && o.interval < 1000) throw new FleetlogError('usage', '--interval must be at least 1s');
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        return await runMonitor(
          { log: o.log, ...inputs, witnesses: o.witness, maxAgeSeconds: Math.floor(o.maxAge / 1000), ...network(o) },
          {
            intervalSeconds: o.interval / 1000,
            once: o.once === true,
            ...(o.hook ? { hook: o.hook } : {}),
            signal: stop.signal,
            saveState: (s) => saveLogState(o.state, s),
            onError: (e) => printError(e, { json: o.json === true }),
            onHookFailure: (a, outcome) =>
              process.stderr.write(`fleetlog: error: the --hook for alert ${a.rule} ${a.kind} failed: ${outcome}\n`),
            onRound: (round, fresh) => {
              const evidenceFile = saveInconsistencyEvidence(o.state, round.audit);
              printRound(round, fresh, inputs.policy, o.json === true);
              if (evidenceFile)
                process.stderr.write(`fleetlog: the contradicting checkpoint is saved in ${evidenceFile}\n`);
            },
          },
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }),
  );
}
