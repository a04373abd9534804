/**
 * `fleetlog audit …`: verify fleets, proofs and whole logs without trusting the operator.
 * Every command: --json for machine-readable output; exit 0 verified, 1 verification failed,
 * 2 usage / network / I/O error (cli/run.ts); human output names each spec step (specs/audit.md).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EMPTY_STATE, parseState, serializeState, type ClientState } from '../core/audit/client-state.ts';
import type { SeenCheckpoint } from '../core/audit/steps.ts';
import { fromBase64, fromHex, toHex } from '../core/bytes.ts';
import { parseDecimal } from '../core/decimal.ts';
import { FleetlogError } from '../core/errors.ts';
import { openCheckpointWithPolicy } from '../core/policy/checkpoint-trust.ts';
import type { Policy } from '../core/policy/policy.ts';
import { MAX_ENTRY_BYTES } from '../core/entry-bundle.ts';
import { MAX_CHECKPOINT_NOTE_BYTES } from '../core/checkpoint.ts';
import { action, EXIT_OK, EXIT_VERIFY_FAILED, printError } from '../cli/run.ts';
import { auditCheckpoint, auditConsistency, auditInclusion, type LiveResult } from './low-level.ts';
import { auditFleet } from './fleet-audit.ts';
import { auditProof } from './proof-audit.ts';
import { exportProof } from './export-proof.ts';
import { AuditInterrupted, auditLog, type AuditLogResult } from './log-audit/audit-log.ts';
import {
  parseLogAuditState,
  parsePartialAudit,
  serializeLogAuditState,
  serializePartialAudit,
  type LogAuditState,
  type PartialAudit,
} from './log-audit/log-state.ts';
import { runMonitor, type Alert, type MonitorRound } from './monitor.ts';
import { loadPolicyFile, readCappedFile, readStateFile, removeFile, writeFileAtomic } from './files.ts';
import { checksBlock, printHuman, printJson, proofBlock, proofJson, timelineBlock } from './output.ts';
import { progressReporter } from './progress.ts';
import { firstFailure } from './report.ts';
import { MAX_FLEET_BUNDLE_BYTES } from './tiles-client.ts';

interface Common {
  json?: boolean;
  timeout?: string;
  retries?: string;
}

const verdict = (ok: boolean): number => (ok ? EXIT_OK : EXIT_VERIFY_FAILED);

function uintOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDecimal(value, name);
  } catch {
    throw new FleetlogError('usage', `${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
}

function net(o: Common): { timeoutMs?: number; retries?: number } {
  const seconds = uintOption(o.timeout, '--timeout');
  const retries = uintOption(o.retries, '--retries');
  return {
    ...(seconds !== undefined ? { timeoutMs: Math.max(1, seconds) * 1000 } : {}),
    ...(retries !== undefined ? { retries } : {}),
  };
}

function withCommon(cmd: Command): Command {
  return cmd
    .option('--json', 'machine-readable output')
    .option('--timeout <seconds>', 'deadline for each HTTP request, body included', '20')
    .option('--retries <n>', 'extra attempts after a network error or a 5xx', '2');
}

function readClientState(path: string | undefined): ClientState {
  if (path === undefined) return EMPTY_STATE;
  const text = readStateFile(path);
  return text === undefined ? EMPTY_STATE : parseState(text);
}

function saveClientState(path: string | undefined, state: ClientState): void {
  if (path !== undefined) writeFileAtomic(path, serializeState(state));
}

function readLogState(path: string | undefined): LogAuditState | undefined {
  if (path === undefined) return undefined;
  const text = readStateFile(path);
  return text === undefined ? undefined : parseLogAuditState(text);
}

function saveLogState(path: string | undefined, state: LogAuditState): void {
  if (path !== undefined) writeFileAtomic(path, serializeLogAuditState(state));
}

/** What `audit log` and `audit monitor` share: the policy (its text too, for the worker threads), the saved state, the worker count. */
function logAuditInputs(o: { policy: string; state?: string; workers?: string }): {
  policy: Policy;
  policyText: string;
  state?: LogAuditState;
  workers: number | 'auto';
} {
  const { policy, text } = loadPolicyFile(o.policy);
  const state = readLogState(o.state);
  return {
    policy,
    policyText: text,
    ...(state ? { state } : {}),
    workers: uintOption(o.workers, '--workers') ?? 'auto',
  };
}

/** The output of the commands that check a live log: checks, the proof path from tiles, a verdict. */
function printLive(
  json: boolean | undefined,
  r: LiveResult,
  out: { command: string; header: string; proofTitle: string; verified?: string; extra?: object },
): number {
  if (json)
    printJson({
      command: `audit ${out.command}`,
      ok: r.ok,
      ...out.extra,
      checkpoint: r.checkpoint,
      checks: r.checks,
      proof: proofJson(r.proof),
    });
  else
    printHuman([
      out.header,
      checksBlock(r.checks),
      proofBlock(out.proofTitle, r.proof),
      r.ok ? (out.verified ?? 'VERIFIED') : 'FAILED',
    ]);
  return verdict(r.ok);
}

function readFileBytes(path: string, max: number, what: string): Uint8Array {
  return new Uint8Array(readCappedFile(path, max, what)!);
}

/** "Last checkpoint seen" from either kind of state file. */
function seenFromStateFile(path: string): SeenCheckpoint {
  const text = readStateFile(path);
  if (text === undefined) throw new FleetlogError('io', `state file ${path} does not exist`);
  let seen: SeenCheckpoint | undefined;
  try {
    seen = parseState(text).checkpoint;
  } catch {
    seen = parseLogAuditState(text).checkpoint;
  }
  if (!seen) throw new FleetlogError('usage', `state file ${path} has no checkpoint yet`);
  return seen;
}

/** A consistency proof file: base64 hashes, one per line (as in tlog-witness requests). */
function proofLines(text: string): Uint8Array[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l, i) => {
      try {
        return fromBase64(l, 32, `consistency proof line ${i + 1}`);
      } catch (e) {
        throw new FleetlogError('usage', (e as Error).message);
      }
    });
}

function rootArgument(text: string): string {
  if (/^[0-9a-f]{64}$/.test(text)) return text;
  try {
    return toHex(fromBase64(text, 32, '--old-root'));
  } catch {
    throw new FleetlogError('usage', '--old-root must be 32 bytes as base64 (as in a checkpoint) or lowercase hex');
  }
}

export function registerAuditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description(
      'verify fleets, proofs and whole logs (fleet, proof, checkpoint, inclusion, consistency, log, monitor, export-proof)',
    );

  withCommon(
    audit
      .command('fleet')
      .description("the client's trust decision for a fleet's current key set: every step of specs/audit.md in order")
      .requiredOption('--policy <file>', 'trust policy (C2SP tlog-policy plus fleetlog lines)')
      .option('--fleet <id>', 'fleet id (required with --log)')
      .option('--log <url>', "log URL prefix (uses fleetlog's /fleet-bundle, or scans any tlog-tiles log)")
      .option(
        '--proof <file>',
        'offline fleet bundle (two tlog-proofs: key set, then evidence); with --log, step 5 still uses the log',
      )
      .option('--state <file>', 'remembers the last trusted checkpoint and key-set version (rollback detection)')
      .option(
        '--consistency-proof <file>',
        'offline step 5: base64 hashes, one per line, from the state checkpoint to the bundle checkpoint',
      )
      .option('--now <seconds>', 'evaluate validity at this UNIX time instead of now'),
  ).action(
    action(
      async (
        o: Common & {
          policy: string;
          fleet?: string;
          log?: string;
          proof?: string;
          state?: string;
          consistencyProof?: string;
          now?: string;
        },
      ) => {
        if (!o.log && !o.proof) throw new FleetlogError('usage', 'give --log URL (with --fleet) or --proof FILE');
        if (o.log && !o.proof && o.fleet === undefined)
          throw new FleetlogError('usage', '--fleet is required with --log');
        const { policy } = loadPolicyFile(o.policy);
        const state = readClientState(o.state);
        const bundleText = o.proof
          ? readCappedFile(o.proof, MAX_FLEET_BUNDLE_BYTES, 'fleet bundle')!.toString('utf8')
          : undefined;
        const now = uintOption(o.now, '--now');
        const consistencyProof = o.consistencyProof
          ? proofLines(readCappedFile(o.consistencyProof, 64 * 64, 'consistency proof file')!.toString('utf8'))
          : undefined;
        const r = await auditFleet({
          policy,
          state,
          ...(o.fleet !== undefined ? { fleetId: o.fleet } : {}),
          ...(o.log ? { log: o.log } : {}),
          ...(bundleText !== undefined ? { bundleText } : {}),
          ...(now !== undefined ? { now } : {}),
          ...(consistencyProof ? { consistencyProof } : {}),
          ...net(o),
        });
        if (r.trusted) saveClientState(o.state, r.state);
        if (o.json) {
          const { state: _state, consistencyProof, ...rest } = r;
          printJson({
            command: 'audit fleet',
            ...rest,
            ...(consistencyProof ? { consistencyProof: proofJson(consistencyProof) } : {}),
          });
        } else {
          const k = r.keyset;
          printHuman([
            `audit fleet ${r.fleetId ?? '?'} (${r.source === 'file' ? 'offline bundle' : r.source === 'scan' ? `log scanned: ${r.scanned} entries` : 'fleet bundle from the log'}${r.checkpoint ? `, checkpoint ${r.checkpoint.origin}@${r.checkpoint.size}` : ''})`,
            checksBlock(r.checks),
            r.consistencyProof
              ? proofBlock('step 5 consistency proof, computed from tiles', r.consistencyProof)
              : undefined,
            r.trusted && k
              ? `TRUSTED: fleet ${r.fleetId} key set v${k.version} (entry ${k.index}), ${k.keys.length} keys, valid until ${new Date(k.notAfter * 1000).toISOString()}\n${k.keys.map((x) => `  ${x.hsmId} ${x.alg} ${x.publicKey}`).join('\n')}`
              : `NOT TRUSTED: ${firstFailure(r.checks)?.reason ?? 'a step failed'}`,
          ]);
        }
        return verdict(r.trusted);
      },
    ),
  );

  withCommon(
    audit
      .command('proof <file>')
      .description('verify an offline C2SP tlog-proof and its entry (or a fleet bundle), with no network')
      .requiredOption('--policy <file>', 'trust policy')
      .option('--entry <file>', "the entry's bytes, when the proof has no extra line")
      .option('--now <seconds>', 'evaluate validity at this UNIX time'),
  ).action(
    action(async (file: string, o: Common & { policy: string; entry?: string; now?: string }) => {
      const { policy } = loadPolicyFile(o.policy);
      const text = readCappedFile(file, MAX_FLEET_BUNDLE_BYTES, 'proof file')!.toString('utf8');
      const entry = o.entry ? readFileBytes(o.entry, MAX_ENTRY_BYTES, 'entry file') : undefined;
      const now = uintOption(o.now, '--now');
      const r = await auditProof({ text, policy, ...(entry ? { entry } : {}), ...(now !== undefined ? { now } : {}) });
      if (o.json) printJson({ command: 'audit proof', ...r });
      else
        printHuman([
          `audit proof ${file} (${r.kind}${r.index !== undefined ? `, index ${r.index}` : ''}${r.entryType ? `, ${r.entryType}` : ''})`,
          checksBlock(r.checks),
          r.ok ? 'VERIFIED' : `FAILED: ${firstFailure(r.checks)?.reason ?? ''}`,
        ]);
      return verdict(r.ok);
    }),
  );

  withCommon(
    audit
      .command('checkpoint')
      .description("verify the log's checkpoint (steps 3, 4) and its consistency with the last one seen (step 5)")
      .requiredOption('--log <url>', 'log URL prefix')
      .requiredOption('--policy <file>', 'trust policy')
      .option('--state <file>', 'client state file (same format as audit fleet); updated when verified'),
  ).action(
    action(async (o: Common & { log: string; policy: string; state?: string }) => {
      const { policy } = loadPolicyFile(o.policy);
      const r = await auditCheckpoint({ log: o.log, policy, state: readClientState(o.state), ...net(o) });
      if (r.ok) saveClientState(o.state, r.state);
      return printLive(o.json, r, {
        command: 'checkpoint',
        header: `audit checkpoint ${o.log}${r.checkpoint ? ` (${r.checkpoint.origin}@${r.checkpoint.size})` : ''}`,
        proofTitle: 'consistency proof path, computed from tiles',
        verified: `VERIFIED: tree size ${r.checkpoint?.size}, root ${r.checkpoint?.rootHash}`,
      });
    }),
  );

  withCommon(
    audit
      .command('inclusion')
      .description('prove one entry is in the current tree (step 2), with the proof computed from tiles')
      .requiredOption('--log <url>', 'log URL prefix')
      .requiredOption('--policy <file>', 'trust policy')
      .requiredOption('--index <n>', 'entry index')
      .option('--entry <file>', "the entry's bytes (default: read it from the log's entry bundle)")
      .option('--leaf-hash <hex>', 'the RFC 9162 leaf hash instead of the entry')
      .option('--state <file>', 'also check consistency with the last checkpoint in this client state file'),
  ).action(
    action(
      async (
        o: Common & { log: string; policy: string; index: string; entry?: string; leafHash?: string; state?: string },
      ) => {
        const { policy } = loadPolicyFile(o.policy);
        const index = uintOption(o.index, '--index')!;
        const entry = o.entry ? readFileBytes(o.entry, MAX_ENTRY_BYTES, 'entry file') : undefined;
        const leafHash = o.leafHash ? fromHex(o.leafHash, 32, '--leaf-hash') : undefined;
        const state = o.state ? readClientState(o.state) : undefined;
        const r = await auditInclusion({
          log: o.log,
          policy,
          index,
          ...(entry ? { entry } : {}),
          ...(leafHash ? { leafHash } : {}),
          ...(state ? { state } : {}),
          ...net(o),
        });
        return printLive(o.json, r, {
          command: 'inclusion',
          header: `audit inclusion ${o.log} index ${index}${r.checkpoint ? ` in ${r.checkpoint.origin}@${r.checkpoint.size}` : ''}`,
          proofTitle: 'inclusion proof path, computed from tiles',
          extra: { index, leafHash: r.leafHash },
        });
      },
    ),
  );

  withCommon(
    audit
      .command('consistency')
      .description('prove the current tree extends an earlier one (step 5), with the proof computed from tiles')
      .requiredOption('--log <url>', 'log URL prefix')
      .requiredOption('--policy <file>', 'trust policy')
      .option('--old-size <n>', 'earlier tree size (with --old-root)')
      .option('--old-root <hash>', 'earlier root hash, base64 or hex')
      .option('--old-checkpoint <file>', 'earlier signed checkpoint (verified with the policy)')
      .option('--state <file>', 'take the earlier checkpoint from an audit state file'),
  ).action(
    action(
      async (
        o: Common & {
          log: string;
          policy: string;
          oldSize?: string;
          oldRoot?: string;
          oldCheckpoint?: string;
          state?: string;
        },
      ) => {
        const { policy } = loadPolicyFile(o.policy);
        let old: SeenCheckpoint;
        if (o.oldCheckpoint) {
          const note = readCappedFile(o.oldCheckpoint, MAX_CHECKPOINT_NOTE_BYTES, 'checkpoint file')!.toString('utf8');
          const cp = openCheckpointWithPolicy(policy, note).checkpoint;
          old = { origin: cp.origin, size: cp.size, rootHash: toHex(cp.rootHash) };
        } else if (o.state) {
          old = seenFromStateFile(o.state);
        } else if (o.oldSize !== undefined && o.oldRoot !== undefined) {
          const origin = policy.logs[0]?.verifier.name;
          if (policy.logs.length !== 1 || origin === undefined)
            throw new FleetlogError('usage', 'with --old-size/--old-root the policy must name exactly one log');
          old = { origin, size: uintOption(o.oldSize, '--old-size')!, rootHash: rootArgument(o.oldRoot) };
        } else {
          throw new FleetlogError(
            'usage',
            'give --old-checkpoint FILE, --state FILE, or --old-size N with --old-root HASH',
          );
        }
        const r = await auditConsistency({ log: o.log, policy, old, ...net(o) });
        return printLive(o.json, r, {
          command: 'consistency',
          header: `audit consistency ${o.log}: ${old.size} -> ${r.checkpoint?.size ?? '?'}`,
          proofTitle: 'consistency proof path, computed from tiles',
          extra: { old },
        });
      },
    ),
  );

  withCommon(
    audit
      .command('export-proof')
      .description('write an offline C2SP tlog-proof for one entry (entry bytes in the extra line) to stdout')
      .requiredOption('--log <url>', 'log URL prefix')
      .requiredOption('--index <n>', 'entry index')
      .option('--policy <file>', 'verify the checkpoint (steps 3, 4) before exporting; recommended')
      .option('--out <file>', 'write to this file instead of stdout'),
  ).action(
    action(async (o: Common & { log: string; index: string; policy?: string; out?: string }) => {
      const policy = o.policy ? loadPolicyFile(o.policy).policy : undefined;
      const r = await exportProof({
        log: o.log,
        index: uintOption(o.index, '--index')!,
        ...(policy ? { policy } : {}),
        ...net(o),
      });
      if (!r.ok || r.text === undefined) {
        process.stderr.write(
          `${checksBlock(r.checks)}\nfleetlog: not exporting a proof against a checkpoint that does not verify\n`,
        );
        return EXIT_VERIFY_FAILED;
      }
      if (!r.checkpointVerified)
        process.stderr.write(
          'fleetlog: warning: no --policy, so the checkpoint signatures were not checked (the recipient must check them)\n',
        );
      if (o.out) writeFileSync(o.out, r.text);
      else if (o.json)
        printJson({
          command: 'audit export-proof',
          checkpoint: r.checkpoint,
          proof: proofJson(r.proof),
          tlogProof: r.text,
        });
      else process.stdout.write(r.text);
      return EXIT_OK;
    }),
  );

  withCommon(
    audit
      .command('log')
      .description(
        'full audit of any C2SP tlog-tiles log: every tile and entry, the root, signatures, quorum, consistency, fleet history',
      )
      .requiredOption('--log <url>', 'log URL prefix')
      .requiredOption('--policy <file>', 'trust policy; fleetlog lines turn on the fleet history rules')
      .option('--state <file>', 'resume from and save to this audit state file')
      .option('--workers <n>', 'hashing worker threads (default: one per core when the work is large)')
      .option('--concurrency <n>', 'tiles fetched ahead', '16')
      .option('--no-timeline', 'do not print the timeline of fleets'),
  ).action(
    action(
      async (
        o: Common & {
          log: string;
          policy: string;
          state?: string;
          workers?: string;
          concurrency: string;
          timeline: boolean;
        },
      ) => {
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
            concurrency: Math.max(1, uintOption(o.concurrency, '--concurrency')!),
            ...net(o),
            onStart: ({ size, from }) => progress.start(size - from),
            onProgress: (p) => progress.update(p),
            ...(partialPath
              ? { onPartial: (p: PartialAudit) => writeFileAtomic(partialPath, serializePartialAudit(p)) }
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
          setTimeout(() => process.exit(130), 200).unref();
          return 130;
        } finally {
          progress.stop();
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        if (r.state) saveLogState(o.state, r.state);
        // Done (or the tree failed, so its progress is worth nothing): no partial run to continue.
        if (partialPath && (r.state || r.checks.some((c) => c.step === 2 && c.status === 'fail')))
          removeFile(partialPath);
        if (o.json) {
          const { state: _s, history, consistencyProof, ...rest } = r;
          printJson({
            command: 'audit log',
            ...rest,
            ...(consistencyProof ? { consistencyProof: proofJson(consistencyProof) } : {}),
            ...(history ? { fleets: history.fleets, violations: history.violations } : {}),
          });
        } else {
          const rate = r.elapsedMs > 0 ? Math.round(r.newEntries / (r.elapsedMs / 1000)) : 0;
          printHuman([
            `audit log ${r.log}${r.origin ? ` (${r.origin}, tree size ${r.size}${r.previousSize ? `, audited before up to ${r.previousSize}` : ''})` : ''}`,
            checksBlock(r.checks),
            r.fleetRules ? undefined : '  fleet history rules not applied: the policy has no fleetlog lines',
            r.resumedFrom !== undefined ? `  continued an interrupted audit from entry ${r.resumedFrom}` : undefined,
            `  ${r.newEntries} new entries, ${r.requests} requests, ${(r.bytes / 1e6).toFixed(1)} MB in ${(r.elapsedMs / 1000).toFixed(1)} s (${rate} entries/s; ${r.workers} worker threads${r.jobs ? `, ${r.jobs.workers} tiles hashed on them and ${r.jobs.inline} on the main thread` : ''})`,
            o.timeline && r.history ? timelineBlock(r.history) : undefined,
            r.ok
              ? `VERIFIED: ${r.origin}@${r.size} root ${r.rootHash}`
              : `FAILED: ${firstFailure(r.checks)?.reason ?? ''}`,
          ]);
        }
        return verdict(r.ok);
      },
    ),
  );

  withCommon(
    audit
      .command('monitor')
      .description('follow a log; alert on inconsistency, rollback, split view, new fleet key sets, stale checkpoints')
      .requiredOption('--log <url>', 'log URL prefix')
      .requiredOption('--policy <file>', 'trust policy')
      .option(
        '--witness <url>',
        'witness monitoring URL prefix: a policy witness URL, or NAME=URL for a policy witness (repeatable)',
        (v: string, acc: string[]) => [...acc, v],
        [] as string[],
      )
      .option('--interval <seconds>', 'seconds between rounds', '60')
      .option('--hook <command>', 'run this shell command for each alert (alert JSON on stdin) instead of exiting 1')
      .option('--once', 'run one round: exit 0 if quiet, 1 if there was an alert')
      .option('--state <file>', 'audit state file to resume from and save to')
      .option('--max-age <seconds>', 'alert when the newest trusted cosignature is older than this', '86400')
      .option('--workers <n>', 'hashing worker threads'),
  ).action(
    action(
      async (
        o: Common & {
          log: string;
          policy: string;
          witness: string[];
          interval: string;
          hook?: string;
          once?: boolean;
          state?: string;
          maxAge: string;
          workers?: string;
        },
      ) => {
        const inputs = logAuditInputs(o);
        const interval = uintOption(o.interval, '--interval')!;
        if (!o.once && interval < 1) throw new FleetlogError('usage', '--interval must be at least 1 second');
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          return await runMonitor(
            {
              log: o.log,
              ...inputs,
              witnesses: o.witness,
              maxAgeSeconds: uintOption(o.maxAge, '--max-age')!,
              ...net(o),
            },
            {
              intervalSeconds: interval,
              once: o.once === true,
              ...(o.hook ? { hook: o.hook } : {}),
              signal: stop.signal,
              saveState: (s) => saveLogState(o.state, s),
              onError: (e) => printError(e),
              onHookFailure: (a, outcome) =>
                process.stderr.write(`fleetlog: error: the --hook for alert ${a.rule} ${a.kind} failed: ${outcome}\n`),
              onRound: (round, fresh) => printRound(round, fresh, o.json === true),
            },
          );
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      },
    ),
  );
}

function printRound(round: MonitorRound, fresh: readonly Alert[], json: boolean): void {
  const a = round.audit;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ time: new Date().toISOString(), origin: a.origin, size: a.size, rootHash: a.rootHash, newEntries: a.newEntries, alerts: fresh, warnings: round.warnings, witnesses: round.witnesses, checks: a.checks })}\n`,
    );
    return;
  }
  const lines = [
    `${new Date().toISOString()} ${a.origin ?? a.log}@${a.size ?? '?'}: ${a.newEntries} new entries, ${fresh.length} alert${fresh.length === 1 ? '' : 's'}`,
  ];
  for (const al of fresh) lines.push(`  ALERT ${al.kind} [${al.rule}]: ${al.message}`);
  for (const w of round.witnesses)
    lines.push(
      `  witness ${w.url}: ${w.size !== undefined ? `size ${w.size} (${w.relation})` : ''} ${w.note ?? ''}`.trimEnd(),
    );
  if (fresh.some((x) => x.kind !== 'new_keyset')) lines.push(checksBlock(a.checks));
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const w of round.warnings) process.stderr.write(`fleetlog: warning: ${w}\n`);
}
