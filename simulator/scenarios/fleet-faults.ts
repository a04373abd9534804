/**
 * Faults and abuse inside the fleet: the guess limit, minority and majority failures, partitions.
 * The fleet must keep serving with a minority down, fail closed without a majority (no guess lost
 * or gained), and never answer more guesses than the limit.
 */
import * as opaque from '@serenity-kit/opaque';
import { isFleetlogError } from '../../core/errors.ts';
import type { BackupClient, RegisterOutcome } from '../client/backup-client.ts';
import type { RecoverStartReply, ReplicaStatus } from '../hsm/messages.ts';
import { describeRefusal, refusal } from './outcome.ts';
import type { Scenario } from './scenario.ts';
import type { DeployedFleet, ScenarioWorld } from './world.ts';

/** A freshly deployed fleet with one user's backup registered on it. */
async function fleetWithBackup(
  world: ScenarioWorld,
  fleetId: string,
  userId: string,
  password: string,
): Promise<{ f: DeployedFleet; client: BackupClient; reg: RegisterOutcome }> {
  const f = await world.deploy(fleetId);
  const client = world.client(f, { userId });
  return { f, client, reg: await client.register(password) };
}

const statusLine = (s: readonly ReplicaStatus[]): string =>
  s
    .map(
      (x) => `${x.hsmId.replace(/^.*-hsm-/, 'hsm-')}:${x.kind}${x.remaining !== undefined ? `(${x.remaining})` : ''}`,
    )
    .join(' ');

export const bruteForce: Scenario = {
  name: 'brute-force',
  title: 'brute force beyond the guess limit',
  expect:
    'ten wrong guesses destroy the record; the eleventh attempt, even with the right password, is refused; HSMs that were down during the attack cannot serve the old record when they return',
  async run(world) {
    const lines: string[] = [];
    const { f, client: owner } = await fleetWithBackup(world, 'bf-fleet', 'bob', 'the real password');
    const [h1, h2, , h4, h5] = f.fleet.hsms.map((h) => h.id);
    f.fleet.stop(h4!, h5!);
    lines.push(`${h4} and ${h5} are down during the attack: they keep the live record with 10 guesses`);
    const attacker = world.client(f, { userId: 'bob' });
    let refusedWrong = 0;
    for (let i = 1; i <= 10; i++) {
      const r = await refusal(() => attacker.recover(`guess-${i}`));
      if (r?.code === 'forbidden') refusedWrong++;
      if (i === 1 || i >= 9) lines.push(`guess ${i}: ${describeRefusal(r)}`);
    }
    const after = await refusal(() => owner.recover('the real password'));
    lines.push(`right password after the limit: ${describeRefusal(after)}`);
    lines.push(`replicas: ${statusLine(f.fleet.replicaStatus('bob'))}`);
    // The stale HSMs return and form a majority with one HSM that saw the tombstone.
    f.fleet.heal();
    f.fleet.stop(h1!, h2!);
    const stale = await refusal(() => owner.recover('the real password'));
    lines.push(`${h1} and ${h2} down, ${h4} and ${h5} back (stale): right password ${describeRefusal(stale)}`);
    f.fleet.heal();
    for (const h of f.fleet.hsms) await h.reconcileAll();
    const status = f.fleet.replicaStatus('bob');
    lines.push(`replicas after the stale ones returned: ${statusLine(status)}`);
    return {
      passed:
        refusedWrong === 10 &&
        after?.code === 'forbidden' &&
        stale?.code === 'forbidden' &&
        status.every((s) => s.kind === 'destroyed'),
      refusedBy: 'fleet: guess limit',
      lines,
    };
  },
};

export const minorityDown: Scenario = {
  name: 'minority-down',
  title: 'a minority of HSMs are down',
  expect: 'with 2 of 5 HSMs stopped, or one region cut off, recovery still works; the cut-off HSMs refuse on their own',
  async run(world) {
    const lines: string[] = [];
    const { f, client, reg } = await fleetWithBackup(world, 'minority-fleet', 'carol', 'carol-pw');
    const [h1, h2] = f.fleet.hsms;
    f.fleet.stop(h1!.id, h2!.id);
    const r1 = await refusal(() => client.recover('carol-pw'));
    lines.push(`${h1!.id} and ${h2!.id} stopped: recovery ${r1 ? describeRefusal(r1) : 'works'}`);
    f.fleet.heal();
    const minority = h1!.region;
    f.fleet.partition([[minority], f.fleet.regions().filter((r) => r !== minority)]);
    const cut = f.fleet.hsms.filter((h) => h.region === minority);
    const { startLoginRequest } = opaque.client.startLogin({ password: 'carol-pw' });
    const direct = await refusal(() =>
      f.fleet.endpoint(cut[0]!.id).call({ op: 'recover-start', userId: 'carol', request: startLoginRequest }),
    );
    lines.push(
      `region ${minority} (${cut.map((h) => h.id).join(', ')}) cut off: asked directly, ${cut[0]!.id} ${describeRefusal(direct)}`,
    );
    const r2 = await refusal(() => client.recover('carol-pw'));
    lines.push(`client (tries ${cut[0]!.id} first, then moves on): recovery ${r2 ? describeRefusal(r2) : 'works'}`);
    f.fleet.heal();
    return { passed: reg.remaining === 10 && !r1 && !r2 && direct?.code === 'unavailable', lines };
  },
};

export const majorityDown: Scenario = {
  name: 'majority-down',
  title: 'a majority of HSMs are down',
  expect:
    'with 3 of 5 HSMs stopped every operation fails closed, no replica changes, and after restart the count is exactly what it was',
  async run(world) {
    const lines: string[] = [];
    const { f, client } = await fleetWithBackup(world, 'majority-fleet', 'dave', 'dave-pw');
    await refusal(() => client.recover('wrong-1'));
    await refusal(() => client.recover('wrong-2'));
    const before = f.fleet.replicaStatus('dave');
    lines.push(`before: ${statusLine(before)}`);
    const down = f.fleet.hsms.slice(0, 3).map((h) => h.id);
    f.fleet.stop(...down);
    const attempts = [
      await refusal(() => client.recover('dave-pw')),
      await refusal(() => client.recover('wrong-3')),
      await refusal(() => world.client(f, { userId: 'frank' }).register('frank-pw')),
    ];
    lines.push(
      `${down.join(', ')} stopped: recover(right) ${attempts[0]?.code ?? 'succeeded'}, recover(wrong) ${attempts[1]?.code ?? 'succeeded'}, register a new user ${attempts[2]?.code ?? 'succeeded'}`,
    );
    // Failed prepares may raise promises; what matters is that no accepted value moved anywhere.
    const values = (s: readonly ReplicaStatus[]) => JSON.stringify(s.map(({ promised: _p, ...rest }) => rest));
    const unchanged = values(f.fleet.replicaStatus('dave')) === values(before);
    lines.push(
      `no replica accepted anything during the outage (accepted ballots, counts): ${unchanged ? 'unchanged' : 'CHANGED'}`,
    );
    f.fleet.heal();
    const wrong = await refusal(() => client.recover('wrong-4'));
    const left = (wrong && /([0-9]+) guess(?:es)? left/.exec(wrong.message)?.[1]) ?? '?';
    lines.push(
      `restarted: next wrong guess leaves ${left} (was ${before[0]!.remaining} before the outage: no guess lost or gained)`,
    );
    const ok = await refusal(() => client.recover('dave-pw'));
    lines.push(`right password: ${ok ? describeRefusal(ok) : 'recovered'}`);
    return {
      passed:
        attempts.every((a) => a?.code === 'unavailable') &&
        unchanged &&
        Number(left) === before[0]!.remaining! - 1 &&
        !ok,
      refusedBy: 'fleet: no majority (fails closed)',
      lines,
    };
  },
};

export const partitionGuessLimit: Scenario = {
  name: 'partition-guess-limit',
  title: 'the guess limit under random partitions',
  expect: 'across 60 random partitions, stops and concurrent guesses, at most 10 guesses are ever answered',
  async run(world) {
    const lines: string[] = [];
    const { f, client } = await fleetWithBackup(world, 'partition-fleet', 'erin', 'erin-pw');
    await opaque.ready;
    let seed = 20251129;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const regions = f.fleet.regions();
    const endpoints = f.fleet.endpoints();
    let answered = 0;
    let refused = 0;
    const guess = async (i: number): Promise<void> => {
      try {
        await endpoints[i]!.call<RecoverStartReply>({
          op: 'recover-start',
          userId: 'erin',
          request: opaque.client.startLogin({ password: `x${random(1e9)}` }).startLoginRequest,
        });
        answered++;
      } catch (e) {
        if (!isFleetlogError(e)) throw e;
        refused++;
      }
    };
    for (let round = 0; round < 60; round++) {
      f.fleet.heal();
      const cut = regions[random(regions.length)]!;
      if (random(2) === 0) f.fleet.partition([[cut], regions.filter((r) => r !== cut)]);
      if (random(3) === 0) f.fleet.stop(f.fleet.hsms[random(5)]!.id);
      await Promise.all([guess(random(5)), guess(random(5))]);
    }
    f.fleet.heal();
    const right = await refusal(() => client.recover('erin-pw'));
    for (const h of f.fleet.hsms) await h.reconcileAll();
    const status = f.fleet.replicaStatus('erin');
    lines.push(`${answered} guesses answered, ${refused} refused (no majority, or limit reached)`);
    lines.push(`right password afterwards: ${describeRefusal(right)}`);
    lines.push(`replicas after reconciling: ${statusLine(status)}`);
    return {
      passed: answered <= 10 && right?.code === 'forbidden' && status.every((s) => s.kind === 'destroyed'),
      refusedBy: 'fleet: guess limit',
      lines,
    };
  },
};
