/**
 * `fleetlog demo`: the whole system, end to end, on localhost.
 *   1. a log-server and three witnesses (quorum 2 of 3), SQLite under one data directory;
 *   2. fleet A: five HSMs over three regions, each on its own port; the ceremony runs over their
 *      admin APIs; the evidence and key set are logged and witnessed;
 *   3. a backup client with over-the-air trust registers a backup key and recovers it (OPAQUE),
 *      including a wrong guess, and a recovery with two HSMs down;
 *   4. rotation: fleet B is deployed, the backup moves to it (bundle received with the HSM reply);
 *   5. the auditor audits the whole log and both fleets;
 *   6. a readable report of each step; exit 0 only if everything held.
 */
import { count as plural } from '../cli/plural.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY_STATE } from '../core/audit/client-state.ts';
import { parseFleetBundle } from '../core/audit/fleet-bundle.ts';
import { openCheckpointWithPolicy } from '../core/policy/checkpoint-trust.ts';
import type { Policy } from '../core/policy/policy.ts';
import { bytesEqual, toHex } from '../core/bytes.ts';
import { parseCheckpointNote } from '../core/checkpoint.ts';
import { isFleetlogError } from '../core/errors.ts';
import { auditFleet, auditLog } from '../auditor-cli/index.ts';
import { silentLogger } from '../service/logger.ts';
import { BackupClient, type KeyStretching } from './client/backup-client.ts';
import { FileStateStore, OverTheAirTrust } from './client/fleet-trust-source.ts';
import { deployAsTwoParties, type TwoPartyDeployment } from './deploy/two-party.ts';
import { HttpLogReader } from './deploy/log-http.ts';
import { startStack } from './deploy/stack.ts';
import { randomKey } from './hsm/crypto.ts';
import { firmwareImage } from './hsm/firmware.ts';
import { LocalhostFleet } from './localhost-fleet.ts';
import { Report } from './report.ts';

export interface DemoOptions {
  /** Keep everything here; otherwise a temporary directory, removed at the end. */
  readonly dataDir?: string;
  readonly keyStretching?: KeyStretching;
  readonly write?: (line: string) => void;
}

export interface DemoResult {
  readonly ok: boolean;
  readonly dataDir: string;
  readonly lines: readonly string[];
}

const USER = 'alice@example.com';
const PASSWORD = 'correct horse battery staple';

export async function runDemo(o: DemoOptions = {}): Promise<DemoResult> {
  const started = performance.now();
  const keep = o.dataDir !== undefined;
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'fleetlog-demo-'));
  const r = new Report(o.write);
  const closers: (() => Promise<void>)[] = [];
  let ok = true;
  const fail = (text: string): void => {
    ok = false;
    r.fail(text);
  };
  try {
    r.write(`fleetlog demo: transparency log + witnesses + HSM fleet + backup client, on localhost`);
    r.write(`data directory: ${dataDir}${keep ? ' (kept)' : ' (temporary)'}`);

    // 1 ------------------------------------------------------------------------------------------
    r.section('Start a log-server and three witnesses');
    const stack = await startStack({ dataDir, logger: silentLogger });
    closers.push(() => stack.close());
    r.ok(`log ${stack.log.origin} at ${stack.log.url}`);
    for (const w of stack.witnesses) r.ok(`witness ${w.name} at ${w.url}`);
    r.info(
      `trust policy: quorum 2 of 3 witnesses; publisher ${stack.publisher.name}; countersigner ${stack.countersigner.name}; HSM vendor ${stack.vendor.name}`,
    );
    r.info(
      `two parties, two key directories: the publisher in ${stack.dirs.publisher}, the independent countersigner in ${stack.dirs.countersigner}; they exchange files only`,
    );

    // 2 ------------------------------------------------------------------------------------------
    r.section('Deploy fleet A (5 HSMs over 3 regions) and log it');
    const now = Math.floor(Date.now() / 1000);
    const fleetA = await LocalhostFleet.start({
      fleetId: 'fleet-a',
      vendor: stack.vendor,
      dataDir: join(dataDir, 'fleets', 'fleet-a'),
    });
    closers.unshift(() => fleetA.close());
    for (const h of fleetA.urls()) r.info(`${h.hsmId} (${h.region}) at ${h.url}`);
    const deployA = await deployAsTwoParties({
      stack,
      fleetId: 'fleet-a',
      hsms: fleetA.ceremonyHsms(),
      firmware: firmwareImage(),
      now,
      installBundle: (b) => fleetA.installBundle(b),
    });
    reportDeployment(r, deployA, stack.policy);

    // 3 ------------------------------------------------------------------------------------------
    r.section(`Register and recover a backup on fleet A (client: over the air, bundle from the log)`);
    const statePath = join(dataDir, 'client-state.json');
    const log = new HttpLogReader(stack.log.url);
    const trust = (bundleSource: 'log' | 'hsm') =>
      new OverTheAirTrust({
        policy: stack.policy,
        state: new FileStateStore(statePath),
        log,
        bundleSource,
        onDecision: (d) => (lastDecision = d),
      });
    let lastDecision:
      | Parameters<NonNullable<ConstructorParameters<typeof OverTheAirTrust>[0]['onDecision']>>[0]
      | undefined;
    const clientA = new BackupClient({
      userId: USER,
      fleetId: 'fleet-a',
      endpoints: fleetA.endpoints(),
      trust: trust('log'),
      ...(o.keyStretching ? { keyStretching: o.keyStretching } : {}),
    });
    const backupKey = randomKey();
    const reg = await clientA.register(PASSWORD, backupKey);
    r.ok(`the client ran audit steps 1-8 on fleet A's key set before opening a session:`);
    if (lastDecision) r.steps(lastDecision.steps);
    r.ok(
      `registered ${USER} via ${reg.hsmId}: OPAQUE record + wrapped backup key committed by a majority (${reg.remaining} guesses)`,
    );
    r.info(`backup key (client side only): ${toHex(backupKey).slice(0, 16)}…`);
    try {
      await clientA.recover('not my password');
      fail('a wrong password was accepted');
    } catch (e) {
      if (isFleetlogError(e, 'forbidden'))
        r.ok(`wrong password refused; the guess was committed by a majority first: ${e.message}`);
      else throw e;
    }
    const rec = await clientA.recover(PASSWORD);
    if (bytesEqual(rec.backupKey, backupKey))
      r.ok(`recovered the backup key via ${rec.hsmId}; counter reset to ${rec.remaining}`);
    else fail('recovered a different key');
    await fleetA.stop('fleet-a-hsm-1', 'fleet-a-hsm-2');
    const rec2 = await clientA.recover(PASSWORD);
    if (bytesEqual(rec2.backupKey, backupKey))
      r.ok(`with fleet-a-hsm-1 and fleet-a-hsm-2 down (a minority), recovery still works via ${rec2.hsmId}`);
    else fail('minority-down recovery returned a different key');
    await fleetA.start('fleet-a-hsm-1', 'fleet-a-hsm-2');

    // 4 ------------------------------------------------------------------------------------------
    r.section('Rotate to fleet B and move the backup');
    const fleetB = await LocalhostFleet.start({
      fleetId: 'fleet-b',
      vendor: stack.vendor,
      dataDir: join(dataDir, 'fleets', 'fleet-b'),
      regions: ['eu-central', 'us-west', 'ap-east'],
    });
    closers.unshift(() => fleetB.close());
    const deployB = await deployAsTwoParties({
      stack,
      fleetId: 'fleet-b',
      hsms: fleetB.ceremonyHsms(),
      firmware: firmwareImage(),
      now: Math.floor(Date.now() / 1000),
      installBundle: (b) => fleetB.installBundle(b),
    });
    reportDeployment(r, deployB, stack.policy);
    const clientB = new BackupClient({
      userId: USER,
      fleetId: 'fleet-b',
      endpoints: fleetB.endpoints(),
      trust: trust('hsm'),
      ...(o.keyStretching ? { keyStretching: o.keyStretching } : {}),
    });
    const moved = await clientA.recover(PASSWORD);
    await clientB.register(PASSWORD, moved.backupKey);
    r.ok(
      `the client took fleet B's bundle from the HSM's reply, checked it (steps 1-8, step 5 against the checkpoint it saw before):`,
    );
    if (lastDecision) r.steps(lastDecision.steps);
    const recB = await clientB.recover(PASSWORD);
    if (bytesEqual(recB.backupKey, backupKey))
      r.ok(`backup moved: recovered the same key from fleet B via ${recB.hsmId}`);
    else fail('fleet B returned a different key');

    // 5 ------------------------------------------------------------------------------------------
    r.section('Audit the log and both fleets (auditor-cli)');
    const audit = await auditLog({
      log: stack.log.url,
      policy: stack.policy,
      policyText: stack.policyText,
      workers: 0,
      timeoutMs: 30_000,
    });
    for (const c of audit.checks)
      r.info(`${c.status.toUpperCase()} ${c.step !== undefined ? `step ${c.step} ` : ''}${c.title}: ${c.reason}`);
    if (audit.ok)
      r.ok(
        `log audit passed: ${plural(audit.newEntries, 'entry', 'entries')} re-hashed, tree ${audit.origin}@${audit.size} rebuilt, ${plural(audit.newKeysets.length, 'key set')}, ${plural(audit.newViolations.length, 'violation')}`,
      );
    else fail(`log audit failed`);
    for (const fleetId of ['fleet-a', 'fleet-b']) {
      const f = await auditFleet({
        policy: stack.policy,
        log: stack.log.url,
        fleetId,
        state: EMPTY_STATE,
        timeoutMs: 30_000,
      });
      if (f.trusted)
        r.ok(
          `fleet audit ${fleetId}: trusted (key set v${f.keyset?.version} at index ${f.keyset?.index}, ${f.checks.filter((c) => c.status === 'pass').length} checks passed)`,
        );
      else
        fail(
          `fleet audit ${fleetId}: ${f.checks
            .filter((c) => c.status === 'fail')
            .map((c) => c.reason)
            .join('; ')}`,
        );
    }

    // 6 ------------------------------------------------------------------------------------------
    r.section('Summary');
    const cp = parseCheckpointNote(await log.checkpoint()).checkpoint;
    r.info(`log ${cp.origin} at size ${cp.size}, root ${toHex(cp.rootHash).slice(0, 16)}…, witnessed by a quorum`);
    r.info(
      `fleets: fleet-a (key set at index ${deployA.keysetEntry.index}), fleet-b (key set at index ${deployB.keysetEntry.index})`,
    );
    if (keep) {
      r.info(`client state (last checkpoint seen, trusted key-set versions): ${statePath}`);
      r.info(
        `kept under ${dataDir}: policy.txt, log/log.db, witness-*/witness.db, fleets/*/<hsm>.db; each party's key (0600) and files in publisher/, countersigner/, hsm-vendor/`,
      );
      nextCommands(r, dataDir, stack);
    } else {
      r.info(
        "everything ran in a temporary directory, removed now; npm run demo -- --data DIR keeps the databases, the policy and both parties' files, and prints commands to try next",
      );
    }
    r.write('');
    r.write(ok ? `demo OK in ${((performance.now() - started) / 1000).toFixed(1)} s` : 'demo FAILED');
  } finally {
    for (const c of closers) await c().catch(() => undefined);
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
  return { ok, dataDir, lines: r.lines };
}

function reportDeployment(r: Report, d: TwoPartyDeployment, policy: Policy): void {
  const e = d.ceremony.evidence;
  r.ok(
    `ceremony: ${plural(e.hsms.length, 'HSM')} attested by the vendor, firmware ${e.firmware.release} (${e.firmware.sha256.slice(0, 12)}…), fleet secrets created inside ${e.hsms[0]!.id} and sealed to the others`,
  );
  r.info(`fleet OPAQUE server key ${d.ceremony.opaquePublicKey.slice(0, 16)}… (the private part never left the HSMs)`);
  r.ok(
    `publisher: wrote ${d.files.publisher[0]}, drafted key set v${d.keyset.keyset.version} (${plural(d.keyset.keyset.keys.length, 'key')}) and signed it as ${d.keyset.keyset.publisherSignature.name}: ${d.files.publisher[1]}`,
  );
  r.ok(
    `countersigner: reviewed ${d.files.countersigner[1]} (${d.review.checks.map((c) => c.name).join(', ')}: all passed${d.review.diff ? `; changes against v${d.review.diff.previousVersion} shown` : ''}) and counter-signed as ${d.keyset.keyset.countersignature.name}: ${d.files.countersigner[2]}`,
  );
  r.ok(
    `publisher: submitted; deployment evidence logged at index ${d.evidenceEntry.index}, key set at index ${d.keysetEntry.index}`,
  );
  const trusted = openCheckpointWithPolicy(policy, parseFleetBundle(d.bundle).checkpoint);
  r.ok(
    `checkpoint ${trusted.checkpoint.origin}@${trusted.checkpoint.size} covers both, cosigned by ${[...trusted.cosigners.keys()].join(', ')}; bundle ${d.files.publisher[3]} verified (steps 1-8) and installed on the fleet's HSMs`,
  );
}

/** What a user can run next against the kept demo data (the servers stopped with the demo). */
function nextCommands(
  r: Report,
  dataDir: string,
  stack: { log: { url: string }; witnesses: readonly { url: string; dataDir: string }[] },
): void {
  const listen = (url: string): string => new URL(url).host;
  r.section('Next: try it yourself against the demo data');
  r.write('  # offline: verify the bundle the publisher wrote, and look at the policy');
  r.write(
    `  fleetlog audit proof ${join(dataDir, 'publisher', 'fleet-b-v1.bundle')} --policy ${join(dataDir, 'policy.txt')}`,
  );
  r.write(`  fleetlog policy show --policy ${join(dataDir, 'policy.txt')}`);
  r.write(`  fleetlog key vkey ${join(dataDir, 'countersigner', 'countersigner.key')}`);
  r.write('  # start the log and the witnesses again, on the addresses the policy names');
  for (const w of stack.witnesses) r.write(`  fleetlog witness serve --data ${w.dataDir} --listen ${listen(w.url)} &`);
  r.write(
    `  fleetlog log serve --data ${join(dataDir, 'log')} --listen ${listen(stack.log.url)} --policy ${join(dataDir, 'policy.txt')} &`,
  );
  r.write(
    '  # then audit, fetch the bundle for the CDN, or publish version 2 of fleet-a (README: "Publishing a fleet")',
  );
  r.write(`  fleetlog audit log --log ${stack.log.url} --policy ${join(dataDir, 'policy.txt')}`);
  r.write(
    `  fleetlog fleet bundle --log ${stack.log.url} --fleet fleet-a --policy ${join(dataDir, 'policy.txt')} --out fleet-a.bundle`,
  );
}
