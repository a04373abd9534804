/**
 * `audit monitor` (specs/audit.md Part C): follows a log and raises alerts a person must look at.
 * Each round:
 *   1. an incremental `audit log` (new entries only): M1 a checkpoint failing step 3 or 4, M2 an
 *      inconsistency with what was seen before (fork, or a second root for one size), M3 a
 *      rollback, M5 every new fleet key set (valid or not, so a person reviews it), and the whole-log
 *      rules (L3 tiles, B.3 fleet rules) on the new entries;
 *   2. M6 staleness: the newest trusted cosignature on the log's checkpoint is older than --max-age
 *      (with `quorum none`: the checkpoint has not changed for longer than that);
 *   3. M4 split view: each witness's latest cosigned checkpoint (GET <witness>/<hex sha256(origin)>/
 *      checkpoint) must be one history with what the log serves us, proven with the log's tiles;
 *      and any split-view evidence a witness publishes (GET <witness>/evidence) that verifies, with
 *      core/split-view-evidence.ts and the pinned log key, as proven;
 *   4. M7 fail closed: a witness the monitor was asked to compare and could not read (a name not in
 *      the policy, unreachable, an endless body, a gzip bomb, a redirect loop, a bad cosignature)
 *      is an alert, not a warning: an attacker who can make a witness unreadable must not thereby
 *      hide a split view.
 */
import { count as plural } from '../cli/plural.ts';
import { spawn } from 'node:child_process';
import { bytesEqual, decodeUtf8, fromHex, toHex, utf8 } from '../core/bytes.ts';
import { MAX_CHECKPOINT_NOTE_BYTES } from '../core/checkpoint.ts';
import { sha256 } from '../core/crypto/sha256.ts';
import { isFleetlogError } from '../core/errors.ts';
import { openCheckpointWithPolicy } from '../core/policy/checkpoint-trust.ts';
import { logForOrigin, type Policy } from '../core/policy/policy.ts';
import {
  MAX_SPLIT_VIEW_EVIDENCE_LIST_BYTES,
  parseSplitViewEvidenceList,
  verifySplitViewEvidence,
} from '../core/split-view-evidence.ts';
import { proveExtends } from './consistency-check.ts';
import { DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, fetchBounded } from './http/bounded-fetch.ts';
import { auditLog, type AuditLogResult } from './log-audit/audit-log.ts';
import type { LogAuditState } from './log-audit/log-state.ts';
import { TilesClient } from './tiles-client.ts';

export type AlertKind =
  | 'invalid_checkpoint'
  | 'inconsistent'
  | 'rollback'
  | 'split_view'
  | 'new_keyset'
  | 'stale'
  | 'witness_unreadable'
  | 'verification_failed';

const RULE_OF: Record<AlertKind, string> = {
  invalid_checkpoint: 'M1',
  inconsistent: 'M2',
  rollback: 'M3',
  split_view: 'M4',
  new_keyset: 'M5',
  stale: 'M6',
  witness_unreadable: 'M7',
  verification_failed: 'B',
};

export interface Alert {
  readonly kind: AlertKind;
  /** The rule of specs/audit.md Part C (M1-M6), or the Part B rule that failed (L3, F1-F5, L4). */
  readonly rule: string;
  readonly message: string;
  /** Identifies the condition, so a condition that lasts is alerted once, not every round. */
  readonly key: string;
}

export interface WitnessView {
  readonly url: string;
  /** The witness's name in the policy, when the URL or NAME=URL matched one. */
  readonly name?: string;
  readonly size?: number;
  readonly relation?: 'same' | 'behind' | 'ahead';
  readonly note?: string;
}

export interface MonitorOptions {
  readonly log: string;
  readonly policy: Policy;
  readonly policyText: string;
  /** Witness monitoring prefixes. */
  readonly witnesses: readonly string[];
  readonly state?: LogAuditState;
  /** Alert when the newest trusted cosignature is older than this many seconds. */
  readonly maxAgeSeconds: number;
  readonly now?: () => number;
  readonly workers?: number | 'auto';
  readonly timeoutMs?: number;
  readonly retries?: number;
}

export interface MonitorRound {
  readonly alerts: Alert[];
  readonly warnings: string[];
  readonly audit: AuditLogResult;
  readonly witnesses: WitnessView[];
  /** State to carry to the next round (and save), when the audit verified the tree. */
  readonly state?: LogAuditState;
}

function alert(kind: AlertKind, message: string, key: string, rule: string = RULE_OF[kind]): Alert {
  return { kind, rule, message, key };
}

function auditAlerts(audit: AuditLogResult): Alert[] {
  const alerts: Alert[] = [];
  const at = `${audit.origin ?? audit.log}@${audit.size ?? '?'}`;
  for (const c of audit.checks.filter((x) => x.status === 'fail')) {
    if (c.step === 3 || c.step === 4)
      alerts.push(
        alert('invalid_checkpoint', `step ${c.step} ${c.title}: ${c.reason}`, `m1:${c.step}:${at}:${audit.rootHash}`),
      );
    else if (c.step === 5 && audit.consistency === 'rollback') alerts.push(alert('rollback', c.reason, `m3:${at}`));
    else if (c.step === 5) alerts.push(alert('inconsistent', c.reason, `m2:${at}:${audit.rootHash}`));
    else if (c.step === 2)
      alerts.push(alert('verification_failed', `step 2 ${c.title}: ${c.reason}`, `l3:${at}:${audit.rootHash}`, 'L3'));
    // The fleet-rule checks stay failed once broken; their new violations alert below.
  }
  for (const v of audit.newViolations)
    alerts.push(alert('verification_failed', `[${v.rule}] ${v.message}`, `violation:${v.index}:${v.rule}`, v.rule));
  for (const k of audit.newKeysets) {
    alerts.push(
      alert(
        'new_keyset',
        `new key set for fleet ${k.fleetId}: version ${k.version}, ${plural(k.keys, 'key')}, at index ${k.index}${k.ok ? '' : ' (it breaks a fleet rule)'}`,
        `keyset:${k.index}`,
      ),
    );
  }
  return alerts;
}

export async function monitorOnce(o: MonitorOptions): Promise<MonitorRound> {
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  const audit = await auditLog({
    log: o.log,
    policy: o.policy,
    policyText: o.policyText,
    ...(o.state ? { state: o.state } : {}),
    workers: o.workers ?? 'auto',
    timeoutMs: o.timeoutMs,
    retries: o.retries,
    now: now(),
  });
  const alerts = auditAlerts(audit);
  const warnings: string[] = [];
  const views: WitnessView[] = [];

  if (o.policy.quorum !== 'none' && audit.cosignedAt !== undefined) {
    const age = now() - audit.cosignedAt;
    if (age > o.maxAgeSeconds)
      alerts.push(
        alert(
          'stale',
          `the log's checkpoint (size ${audit.size}) was last cosigned ${age} s ago, more than ${o.maxAgeSeconds} s`,
          `stale:${audit.size}:${audit.cosignedAt}`,
        ),
      );
  } else if (o.policy.quorum === 'none' && audit.state?.headSeenAt !== undefined) {
    // No witnesses required to date the checkpoint: it is stale when it has not changed for too long.
    const age = now() - audit.state.headSeenAt;
    if (age > o.maxAgeSeconds)
      alerts.push(
        alert(
          'stale',
          `the log's checkpoint (size ${audit.size}) has not changed for ${age} s, more than ${o.maxAgeSeconds} s`,
          `stale:${audit.size}:${audit.rootHash}`,
        ),
      );
  }
  const origin = audit.origin ?? (o.policy.logs.length === 1 ? o.policy.logs[0]!.verifier.name : undefined);
  if (origin === undefined) {
    if (o.witnesses.length > 0)
      warnings.push('the log origin is unknown (its checkpoint did not verify), so witnesses were not consulted');
    return { alerts, warnings, audit, witnesses: views, ...(audit.state ? { state: audit.state } : {}) };
  }
  const client = new TilesClient(o.log, { timeoutMs: o.timeoutMs, retries: o.retries });
  const originHash = toHex(sha256(utf8(origin)));
  const logKey = logForOrigin(o.policy, origin)?.verifier.key;
  const unreadable = (url: string, name: string | undefined, label: string, what: string, e: unknown): void => {
    const message = `${isFleetlogError(e) ? `${e.code}: ` : ''}${(e as Error).message}`;
    views.push({ url, ...(name ? { name } : {}), note: `not consulted: ${message}` });
    alerts.push(
      alert(
        'witness_unreadable',
        `witness ${label} could not be read (${what}), so it was not compared: ${message}`,
        `unreadable:${url}:${what}`,
      ),
    );
  };
  for (const spec of o.witnesses) {
    const { url, name, unknownName } = witnessOf(o.policy, spec);
    if (unknownName !== undefined) {
      alerts.push(
        alert(
          'witness_unreadable',
          `witness name ${JSON.stringify(unknownName)} is not in the policy, so ${url} cannot be checked`,
          `unknown-witness:${spec}`,
        ),
      );
      continue;
    }
    // Named as in the policy (with its URL), so an alert says which witness of the quorum it is.
    const label = name !== undefined ? `${name} (${url})` : url;
    const prefix = url.endsWith('/') ? url : `${url}/`;
    const fetchOpts = { timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, retries: o.retries ?? DEFAULT_RETRIES };
    // What the witness last cosigned for this log: signed by the log, and cosigned by the witness.
    try {
      const { body } = await fetchBounded(`${prefix}${originHash}/checkpoint`, {
        ...fetchOpts,
        maxBytes: MAX_CHECKPOINT_NOTE_BYTES,
      });
      const trusted = openCheckpointWithPolicy(o.policy, decodeUtf8(body, 'witness checkpoint'));
      const seen = trusted.checkpoint;
      if (seen.origin !== origin) throw new Error(`it serves a checkpoint for ${seen.origin}`);
      if (name !== undefined && !trusted.cosigners.has(name))
        throw new Error(`its checkpoint carries no valid cosignature by witness ${name}`);
      if (name === undefined)
        warnings.push(
          `witness ${url} is not in the policy (give NAME=URL or a policy witness URL), so its cosignature was not checked`,
        );
      views.push({ ...(await compareWithWitness(client, audit, seen, url, label, alerts)), ...(name ? { name } : {}) });
    } catch (e) {
      if (isFleetlogError(e, 'not_found')) {
        // It has cosigned nothing for this log yet (a new witness): nothing to compare, nothing hidden.
        views.push({ url, ...(name ? { name } : {}), note: 'not consulted: it has no checkpoint for this log' });
        warnings.push(`witness ${label} has no cosigned checkpoint for this log`);
      } else {
        unreadable(url, name, label, 'checkpoint', e);
        continue; // its evidence would fail the same way: one alert per witness
      }
    }
    // Split-view evidence the witness publishes: this log's (GET /evidence/<hash>), else all of it.
    try {
      const get = (path: string): Promise<{ body: Uint8Array }> =>
        fetchBounded(`${prefix}${path}`, { ...fetchOpts, maxBytes: MAX_SPLIT_VIEW_EVIDENCE_LIST_BYTES });
      const { body } = await get(`evidence/${originHash}`).catch((e: unknown) =>
        isFleetlogError(e, 'not_found') ? get('evidence') : Promise.reject(e),
      );
      for (const doc of parseSplitViewEvidenceList(body)) {
        if (doc.origin !== origin || !logKey) continue;
        try {
          const verdict = verifySplitViewEvidence(doc, logKey);
          if (verdict.proven) {
            alerts.push(
              alert(
                'split_view',
                `witness ${label} holds proof of a split view: ${verdict.explanation}`,
                `evidence:${toHex(sha256(utf8(doc.cosigned + doc.presented)))}`,
              ),
            );
          } else {
            warnings.push(`witness ${label} published evidence that proves no split view: ${verdict.explanation}`);
          }
        } catch (e) {
          warnings.push(`witness ${label} published evidence that does not verify: ${(e as Error).message}`);
        }
      }
    } catch (e) {
      if (!isFleetlogError(e, 'not_found')) unreadable(url, name, label, 'evidence', e);
    }
  }
  return { alerts, warnings, audit, witnesses: views, ...(audit.state ? { state: audit.state } : {}) };
}

/**
 * `--witness URL` (matched against the policy's witness URLs) or `--witness NAME=URL`; a NAME the
 * policy does not have is returned as `unknownName` (an alert: the monitor cannot check it).
 */
function witnessOf(policy: Policy, spec: string): { url: string; name?: string; unknownName?: string } {
  const eq = spec.indexOf('=');
  if (eq > 0 && !/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    const name = spec.slice(0, eq);
    if (policy.witnesses.has(name)) return { url: spec.slice(eq + 1), name };
    return { url: spec.slice(eq + 1), unknownName: name };
  }
  const norm = (u: string): string => u.replace(/\/+$/, '');
  for (const w of policy.witnesses.values())
    if (w.url !== undefined && norm(w.url) === norm(spec)) return { url: spec, name: w.name };
  return { url: spec };
}

/** The witness's cosigned checkpoint and the log's must be one history; the larger tree's tiles prove it. */
async function compareWithWitness(
  client: TilesClient,
  audit: AuditLogResult,
  seen: { size: number; rootHash: Uint8Array },
  url: string,
  label: string,
  alerts: Alert[],
): Promise<WitnessView> {
  if (audit.size === undefined || audit.rootHash === undefined)
    return { url, size: seen.size, note: 'the log checkpoint did not verify' };
  const logRoot = fromHex(audit.rootHash, 32);
  const key = `witness:${url}:${seen.size}:${toHex(seen.rootHash)}:${audit.size}`;
  if (seen.size === audit.size) {
    if (!bytesEqual(seen.rootHash, logRoot))
      alerts.push(
        alert(
          'split_view',
          `split view: witness ${label} cosigned root ${toHex(seen.rootHash)} for size ${seen.size}, the log serves us ${audit.rootHash}`,
          key,
        ),
      );
    return { url, size: seen.size, relation: 'same' };
  }
  const [older, newer] =
    seen.size < audit.size
      ? [
          { size: seen.size, root: seen.rootHash },
          { size: audit.size, root: logRoot },
        ]
      : [
          { size: audit.size, root: logRoot },
          { size: seen.size, root: seen.rootHash },
        ];
  const r = await proveExtends(client, older, newer);
  const relation = seen.size < audit.size ? 'behind' : 'ahead';
  if (!r.ok && r.why === 'fork') {
    alerts.push(
      alert(
        'split_view',
        `split view: witness ${label} cosigned tree ${seen.size}, which is not one history with the tree ${audit.size} the log serves us`,
        key,
      ),
    );
  } else if (!r.ok) {
    alerts.push(
      alert(
        'verification_failed',
        `the log's tiles do not prove its tree ${newer.size} consistent with witness ${label}'s tree ${older.size}: they do not reach the signed root`,
        key,
        'L3',
      ),
    );
  }
  return {
    url,
    size: seen.size,
    relation,
    note: r.ok ? `consistent (${r.proof.length}-hash proof from tiles)` : r.why,
  };
}

export interface MonitorLoopOptions {
  readonly intervalSeconds: number;
  readonly once: boolean;
  /** Shell command run for each alert (alert JSON on stdin, FLEETLOG_ALERT_* in the environment). */
  readonly hook?: string;
  readonly onRound?: (round: MonitorRound, fresh: readonly Alert[]) => void;
  readonly onError?: (error: unknown) => void;
  /** The hook exited non-zero, was killed or could not start: the alert may not have been delivered. */
  readonly onHookFailure?: (alert: Alert, outcome: string) => void;
  readonly saveState?: (state: LogAuditState) => void;
  readonly signal?: AbortSignal;
}

/**
 * Runs rounds until an alert with no hook (exit code 1), the end of a --once round (0 or 1), or
 * the signal. Network errors in a round are reported and retried next round (--once: thrown).
 */
export async function runMonitor(options: MonitorOptions, loop: MonitorLoopOptions): Promise<number> {
  let state = options.state;
  /** Conditions alerted and still present; one that clears and comes back alerts again. */
  let alerted = new Set<string>();
  for (;;) {
    let round: MonitorRound | undefined;
    try {
      round = await monitorOnce({ ...options, ...(state ? { state } : {}) });
    } catch (e) {
      if (loop.once) throw e;
      loop.onError?.(e);
    }
    if (round) {
      if (round.state) {
        state = round.state;
        loop.saveState?.(round.state);
      }
      const fresh = round.alerts.filter((a) => !alerted.has(a.key));
      alerted = new Set(round.alerts.map((a) => a.key));
      loop.onRound?.(round, fresh);
      if (fresh.length > 0) {
        if (!loop.hook) return 1;
        for (const a of fresh) {
          const outcome = await runHook(loop.hook, a, round.audit.origin);
          if (outcome !== 0) {
            // Not delivered: say so, and try again next round.
            loop.onHookFailure?.(a, outcome === null ? 'it could not run or was killed' : `it exited ${outcome}`);
            alerted.delete(a.key);
          }
        }
      }
      if (loop.once) return round.alerts.length > 0 ? 1 : 0;
    }
    if (loop.signal?.aborted) return 0;
    await new Promise<void>((resolve) => {
      // The listener goes when the pause ends either way: one left per round would pile up on
      // the signal for as long as the monitor runs.
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        loop.signal?.removeEventListener('abort', onAbort);
        resolve();
      }, loop.intervalSeconds * 1000);
      loop.signal?.addEventListener('abort', onAbort, { once: true });
    });
    if (loop.signal?.aborted) return 0;
  }
}

/** Runs the hook for one alert; its output goes to our stderr so --json stdout stays clean. */
function runHook(command: string, alert: Alert, origin: string | undefined): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(command, {
      shell: true,
      stdio: ['pipe', 2, 2],
      env: {
        ...process.env,
        FLEETLOG_ALERT_KIND: alert.kind,
        FLEETLOG_ALERT_RULE: alert.rule,
        FLEETLOG_ALERT_MESSAGE: alert.message,
        FLEETLOG_LOG_ORIGIN: origin ?? '',
      },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    // A hook that exits without reading stdin makes this write fail (EPIPE); its exit code says
    // what happened, and an unhandled stream error must not take the monitor down.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(`${JSON.stringify({ kind: alert.kind, rule: alert.rule, message: alert.message, origin })}\n`);
  });
}
