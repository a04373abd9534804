/**
 * Attacks on the client's trust in fleet keys. Each must end in a refusal at the right audit step
 * (specs/audit.md), before the client opens a session with the attacker's keys.
 */
import { join } from 'node:path';
import { parseFleetBundle } from '../../core/audit/fleet-bundle.ts';
import { parseCheckpointNote } from '../../core/checkpoint.ts';
import { toHex, utf8 } from '../../core/bytes.ts';
import { sha256 } from '../../core/crypto/sha256.ts';
import type { FleetKeyset } from '../../core/entries/fleet-keyset.ts';
import { parseSplitViewEvidenceList, verifySplitViewEvidence } from '../../core/split-view-evidence.ts';
import { formatAddCheckpoint } from '../../core/witness-request.ts';
import { parseSignerKey } from '../../core/note/keys.ts';
import { readKeyFile } from '../../service/key-file.ts';
import {
  attackerKey,
  forkedBundle,
  keysetOf,
  rogueFleet,
  substituteKeys,
  withKeyset,
  type RogueFleet,
} from '../attacks/forge.ts';
import { publishKeyset } from '../deploy/deploy-fleet.ts';
import { signKeyset } from '../ceremony.ts';
import { submitEntry } from '../deploy/log-http.ts';
import { firmwareImage } from '../hsm/firmware.ts';
import { MemoryStateStore } from '../client/fleet-trust-source.ts';
import { describeRefusal, refusal, type Refusal } from './outcome.ts';
import type { Scenario } from './scenario.ts';
import { interceptedLog, type DeployedFleet, type ScenarioWorld } from './world.ts';

export const keySubstitution: Scenario = {
  name: 'key-substitution',
  title: 'a network attacker substitutes the fleet keys',
  expect:
    'a substituted key set, fetched from the log or handed out by an HSM, is refused at step 1; a substituted fleet behind the genuine key set is refused by the client key check',
  async run(world) {
    const lines: string[] = [];
    const { real, rogue, bundle, keyset } = await targetFleet(world, 'subst-fleet');
    const forged = withKeyset(
      bundle,
      substituteKeys(
        keyset,
        rogue.keys,
        attackerKey('publisher.fleetlog.example'),
        attackerKey('countersigner.auditor.example'),
      ),
    );
    lines.push(
      'attacker answers GET /fleet-bundle with a key set listing its own fleet keys, signed by look-alike keys',
    );
    const r1 = await registerShown(world, real, rogue, forged, 'pw-subst');
    lines.push(describeRefusal(r1));
    lines.push("attacker's HSMs hand out the forged bundle with their replies (client takes bundles from the HSM)");
    for (const h of rogue.fleet.hsms) h.installBundle(forged);
    const offered = world.client(real, { bundleSource: 'hsm', endpoints: rogue.fleet.endpoints() });
    const r3 = await refusal(() => offered.recover('pw-subst'));
    lines.push(describeRefusal(r3));
    lines.push('attacker leaves the bundle alone and routes the client to its own HSMs (same fleet and HSM ids)');
    const routed = world.client(real, { endpoints: rogue.fleet.endpoints() });
    const r2 = await refusal(() => routed.register('pw-subst'));
    lines.push(describeRefusal(r2));
    return {
      passed: r1?.step === 1 && r3?.step === 1 && r2?.code === 'forbidden' && r2.step === undefined,
      refusedAtStep: 1,
      refusedBy: 'audit step 1, then the client key check',
      lines,
    };
  },
};

export const unloggedBundle: Scenario = {
  name: 'unlogged-bundle',
  title: 'the bundle is not logged',
  expect: 'a properly signed key set that is not in the log is refused at step 2',
  async run(world) {
    const lines: string[] = [];
    const { real, rogue, bundle, keyset } = await targetFleet(world, 'unlogged-fleet');
    // Insiders holding both signing keys sign a new key set but keep it out of the log.
    const forged = withKeyset(
      bundle,
      substituteKeys(keyset, rogue.keys, world.stack.publisher, world.stack.countersigner, keyset.version + 1),
    );
    lines.push(
      'insiders sign key set v2 (rogue keys) with the real publisher and countersigner keys, never log it, and reuse the real inclusion proof',
    );
    const r = await registerShown(world, real, rogue, forged, 'pw-unlogged');
    lines.push(describeRefusal(r));
    return { passed: r?.step === 2, refusedAtStep: 2, lines };
  },
};

export const missingCountersignature: Scenario = {
  name: 'no-countersignature',
  title: 'the bundle lacks the counter-signature',
  expect: 'the log refuses to log it, and a client offered it refuses at step 1',
  async run(world) {
    const lines: string[] = [];
    const { real, rogue, bundle, keyset } = await targetFleet(world, 'nocounter-fleet');
    // The publisher alone: it "counter-signs" with a key of its own, not the independent party's.
    const bytes = substituteKeys(
      keyset,
      rogue.keys,
      world.stack.publisher,
      attackerKey('countersigner.auditor.example'),
      keyset.version + 1,
    );
    const logged = await refusal(() => submitEntry(world.stack.log.url, world.stack.log.token, bytes));
    lines.push(
      `publisher submits key set v2 without the independent counter-signature: log ${describeRefusal(logged)}`,
    );
    const r = await registerShown(world, real, rogue, withKeyset(bundle, bytes), 'pw-nocounter');
    lines.push(`client offered it anyway: ${describeRefusal(r)}`);
    return {
      passed: logged !== undefined && r?.step === 1 && /counter-signature/.test(r.message),
      refusedAtStep: 1,
      lines,
    };
  },
};

export const forkedLog: Scenario = {
  name: 'forked-log',
  title: 'the log presents a forked view',
  expect:
    'the fork has no witness quorum (refused at step 4), and witnesses asked to cosign it publish split-view evidence',
  async run(world) {
    const lines: string[] = [];
    const target = await targetFleet(world, 'fork-fleet');
    const { real, rogue, keyset } = target;
    const bundle = parseFleetBundle(target.bundle);
    const size = parseCheckpointNote(bundle.checkpoint).checkpoint.size;
    const entries: Uint8Array[] = [];
    for (let i = 0; i < size; i++) entries.push(await world.log.entry(i));
    // The malicious log colludes with the signers and uses its own key on a different history.
    const logKey = parseSignerKey(readKeyFile(join(world.stack.log.dataDir, 'log.key')));
    const rogueKeyset = substituteKeys(
      keyset,
      rogue.keys,
      world.stack.publisher,
      world.stack.countersigner,
      keyset.version + 1,
    );
    const fork = forkedBundle(
      entries,
      bundle.keyset.index,
      rogueKeyset,
      bundle.evidence.index,
      world.stack.log.origin,
      logKey,
    );
    lines.push(
      `malicious log signs a fork of its tree at size ${size} with entry ${bundle.keyset.index} replaced by a rogue key set`,
    );
    const r = await registerShown(world, real, rogue, fork.bundle, 'pw-fork');
    lines.push(`client shown the fork: ${describeRefusal(r)}`);

    let refusedByAll = true;
    let proven = 0;
    for (const w of world.stack.witnesses) {
      await witnessHolds(w.url, world.stack.log.origin, size);
      const res = await fetch(`${w.url}/add-checkpoint`, {
        method: 'POST',
        body: formatAddCheckpoint({ oldSize: size, proof: [], checkpoint: fork.checkpoint }),
      });
      await res.text();
      if (res.ok) refusedByAll = false;
      const evidence = parseSplitViewEvidenceList(
        new Uint8Array(await (await fetch(`${w.url}/evidence`)).arrayBuffer()),
      );
      const verdicts = evidence.map((e) => verifySplitViewEvidence(e, world.stack.log.vkey));
      if (verdicts.some((v) => v.proven)) proven++;
      lines.push(
        `${w.name}: add-checkpoint answered ${res.status}; GET /evidence holds ${evidence.length} document(s), ${verdicts.filter((v) => v.proven).length} proving the log signed two trees of size ${size}`,
      );
    }
    return {
      passed: r?.step === 4 && refusedByAll && proven === world.stack.witnesses.length,
      refusedAtStep: 4,
      lines,
    };
  },
};

export const rollback: Scenario = {
  name: 'rollback',
  title: 'a rollback to an older key set',
  expect: 'after trusting v2, a replayed v1 bundle (genuine, logged, witnessed) is refused at step 7',
  async run(world) {
    const lines: string[] = [];
    const f = await world.deploy('rollback-fleet');
    const state = new MemoryStateStore();
    const client = world.client(f, { state });
    await client.register('pw-rollback');
    const v1Bundle = await world.log.fleetBundle('rollback-fleet');
    lines.push('client registered while trusting key set v1; an attacker saved that bundle');
    const d = f.deployment;
    const v2 = signKeyset({
      evidence: d.ceremony.evidence,
      evidenceBytes: d.ceremony.evidenceBytes,
      version: 2,
      notBefore: world.now() - 60,
      notAfter: world.now() + 400 * 86_400,
      publisher: world.stack.publisher,
      countersigner: world.stack.countersigner,
      vendorKeys: [world.stack.vendor.vkey],
      now: world.now(),
    });
    const published = await publishKeyset({
      stack: world.stack,
      fleetId: 'rollback-fleet',
      hsms: [],
      firmware: firmwareImage(),
      now: world.now(),
      ceremony: d.ceremony,
      keyset: v2,
    });
    lines.push(`operator publishes key set v2 at index ${published.keysetEntry.index}`);
    await client.recover('pw-rollback');
    lines.push(`client recovered while trusting v${state.load().fleets['rollback-fleet']?.version}`);
    const replayed = world.client(f, { state, log: interceptedLog(world.log, async () => v1Bundle) });
    const r = await refusal(() => replayed.recover('pw-rollback'));
    lines.push(`attacker replays the v1 bundle: ${describeRefusal(r)}`);
    return { passed: r?.step === 7, refusedAtStep: 7, lines };
  },
};

/** A genuine fleet, deployed and logged; the attacker's look-alike (same fleet and HSM ids); the genuine bundle and its key set. */
async function targetFleet(
  world: ScenarioWorld,
  fleetId: string,
): Promise<{ real: DeployedFleet; rogue: RogueFleet; bundle: string; keyset: FleetKeyset }> {
  const real = await world.deploy(fleetId);
  const rogue = await rogueFleet(fleetId, world.now());
  const bundle = await world.log.fleetBundle(fleetId);
  return { real, rogue, bundle, keyset: keysetOf(parseFleetBundle(bundle)) };
}

/** A client routed to the rogue HSMs whose log answers the fleet-bundle request with `bundle`: how its registration is refused. */
function registerShown(
  world: ScenarioWorld,
  real: DeployedFleet,
  rogue: RogueFleet,
  bundle: string,
  password: string,
): Promise<Refusal | undefined> {
  const client = world.client(real, {
    log: interceptedLog(world.log, async () => bundle),
    endpoints: rogue.fleet.endpoints(),
  });
  return refusal(() => client.register(password));
}

/** Waits until a witness has cosigned the log at `size` (a lagging witness has nothing to conflict with yet). */
async function witnessHolds(url: string, origin: string, size: number): Promise<void> {
  const path = `${url}/${toHex(sha256(utf8(origin)))}/checkpoint`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(path).catch(() => undefined);
    const text = res?.ok ? await res.text() : '';
    if (text && parseCheckpointNote(text).checkpoint.size >= size) return;
    if (Date.now() > deadline) return; // the scenario then reports what the witness said
    await new Promise((r) => setTimeout(r, 50));
  }
}
