/**
 * HSMs that come back (specs/consensus.md §2.1): two HSMs are down while a record is destroyed,
 * a new user registers and a guess is spent. When they return they catch up on every register
 * before they answer, so the destroyed record is destroyed on them too, and the count they serve
 * is the fleet's, not their stale copy's.
 */
import * as opaque from '@serenity-kit/opaque';
import type { RecoverStartReply, ReplicaStatus } from '../hsm/messages.ts';
import { describeRefusal, refusal } from './outcome.ts';
import type { Scenario } from './scenario.ts';

const show = (s: ReplicaStatus): string => `${s.kind}${s.remaining !== undefined ? `(${s.remaining})` : ''}`;

export const hsmRejoin: Scenario = {
  name: 'hsm-rejoin',
  title: 'HSMs that were down come back and catch up',
  expect:
    'two HSMs down while a record is destroyed, a user registers and a guess is spent; on return they catch up before answering: the record is destroyed on them too, the new user is on them, and they serve the fleet-wide count',
  async run(world) {
    const lines: string[] = [];
    const f = await world.deploy('rejoin-fleet');
    const gina = world.client(f, { userId: 'gina' });
    const hank = world.client(f, { userId: 'hank' });
    await gina.register('gina-pw');
    await hank.register('hank-pw');
    const [h1, h2, , h4, h5] = f.fleet.hsms;
    f.fleet.stop(h4!.id, h5!.id);
    lines.push(`${h4!.id} and ${h5!.id} are down`);

    // While they are away: hank's record is destroyed, ivy registers, gina spends one guess.
    for (let i = 1; i <= 10; i++) await refusal(() => hank.recover(`wrong-${i}`));
    const ivy = world.client(f, { userId: 'ivy' });
    await ivy.register('ivy-pw');
    const gWrong = await refusal(() => gina.recover('not gina'));
    lines.push(`meanwhile: hank destroyed by 10 wrong guesses, ivy registered, gina ${describeRefusal(gWrong)}`);
    const away = [h4!, h5!].map(
      (h) => `${h.id}: hank ${show(h.status('hank'))}, ivy ${show(h.status('ivy'))}, gina ${show(h.status('gina'))}`,
    );
    lines.push(`stale copies before they return: ${away.join('; ')}`);

    // They come back and catch up.
    const caughtUp = await f.fleet.rejoin(h4!.id, h5!.id);
    const after = [h4!, h5!].map((h) => ({ h, hank: h.status('hank'), ivy: h.status('ivy'), gina: h.status('gina') }));
    lines.push(
      `after rejoining (${caughtUp.length} of 2 caught up): ${after.map((a) => `${a.h.id}: hank ${show(a.hank)}, ivy ${show(a.ivy)}, gina ${show(a.gina)}`).join('; ')}`,
    );

    // With h1 and h2 down, the returned HSMs are part of every majority: they must serve the truth.
    f.fleet.stop(h1!.id, h2!.id);
    const hankAgain = await refusal(() => hank.recover('hank-pw'));
    lines.push(`${h1!.id} and ${h2!.id} down, right password for hank: ${describeRefusal(hankAgain)}`);
    await opaque.ready;
    const direct = await f.fleet.endpoint(h4!.id).call<RecoverStartReply>({
      op: 'recover-start',
      userId: 'gina',
      request: opaque.client.startLogin({ password: 'guess' }).startLoginRequest,
    });
    await f.fleet.endpoint(h4!.id).call({ op: 'recover-abort', attemptId: direct.attemptId });
    lines.push(`a guess for gina answered by ${h4!.id}: ${direct.remaining} left (the fleet had 9 before it)`);
    const ivyBack = await refusal(() => ivy.recover('ivy-pw'));
    lines.push(`ivy recovers through the returned HSMs: ${ivyBack ? describeRefusal(ivyBack) : 'recovered'}`);
    f.fleet.heal();
    return {
      passed:
        caughtUp.length === 2 &&
        after.every((a) => a.hank.kind === 'destroyed' && a.ivy.kind === 'live' && a.gina.remaining === 9) &&
        hankAgain?.code === 'forbidden' &&
        direct.remaining === 8 &&
        ivyBack === undefined,
      refusedBy: 'fleet: guess limit (tombstone caught up on rejoin)',
      lines,
    };
  },
};
