// The simulated HSM's boundaries: secrets stay inside, cloning only to attested peers with the
// same firmware, peer messages authenticated, acceptor state durable, vault rules terminal.
import * as opaque from '@serenity-kit/opaque';
import { inspect } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteAcceptorStore } from '../../simulator/consensus/sqlite-store.ts';
import { SimFleet } from '../../simulator/fleet.ts';
import type { PeerRequest } from '../../simulator/hsm/messages.ts';
import { SimNetwork } from '../../simulator/net/sim-network.ts';
import { firmwareImage } from '../../simulator/hsm/firmware.ts';
import { HsmVendor } from '../../simulator/hsm/vendor.ts';
import { destroyIfExhausted, guessChange, registerChange, resetChange } from '../../simulator/hsm/vault-ops.ts';
import type { VaultValue } from '../../simulator/hsm/vault-value.ts';
import { tempDir } from '../support/process.ts';
import { ceremoniedFleet, embeddedClient } from './support.ts';

describe('simulated HSM secrets', () => {
  it('no public surface of an HSM shows a private key or the fleet secrets', async () => {
    const f = await ceremoniedFleet();
    const hsm = f.fleet.hsms[0]!;
    const surfaces = [
      JSON.stringify(hsm),
      inspect(hsm, { depth: 5, showHidden: true }),
      JSON.stringify(hsm.describe()),
      JSON.stringify(hsm.fleetRecord()),
      JSON.stringify(hsm.info()),
    ];
    for (const s of surfaces) expect(s).not.toMatch(/opaqueSetup|vaultKey|PRIVATE|seed/i);
    expect(Object.keys(hsm).sort()).toEqual(['firmwareRelease', 'guessLimit', 'id', 'index', 'measurement', 'region']);
    // Sealed secrets are ciphertext to anyone but the addressed, attested peer.
    const sealed = hsm.exportFleetSecrets(f.fleet.hsms[1]!.describe());
    expect(JSON.stringify(sealed)).not.toContain(Buffer.from('opaqueSetup').toString('base64').slice(0, 8));
  });

  it('fleet secrets go only to an HSM attested by a trusted vendor running the same firmware', async () => {
    const f = await ceremoniedFleet();
    const source = f.fleet.hsms[0]!;
    const strangerVendor = HsmVendor.generate('other-vendor.example');
    const stranger = SimFleet.create({ fleetId: 'x', vendor: strangerVendor, size: 1 }).hsms[0]!;
    expect(() => source.exportFleetSecrets(stranger.describe())).toThrow(/attestation/);
    const patched = SimFleet.create({
      fleetId: 'y',
      vendor: f.vendor,
      size: 1,
      firmware: firmwareImage(undefined, 'backdoor'),
    }).hsms[0]!;
    expect(() => source.exportFleetSecrets(patched.describe())).toThrow(/different firmware/);
    // Addressed to one HSM, useless to another.
    const fresh = SimFleet.create({ fleetId: 'z', vendor: f.vendor, size: 2 }).hsms;
    const sealed = source.exportFleetSecrets(fresh[0]!.describe());
    await expect(fresh[1]!.importFleetSecrets(sealed, source.describe())).rejects.toThrow(/another HSM/);
    await fresh[0]!.importFleetSecrets(sealed, source.describe());
    expect(fresh[0]!.opaquePublicKey).toBe(source.opaquePublicKey);
  });

  it('peer messages must carry the fleet MAC; an old accept cannot be replayed over a newer promise', async () => {
    const seen: PeerRequest[] = [];
    const network = new SimNetwork({
      tap: (_from, _to, m) =>
        void ((m as { kind: string }).kind === 'peer' && seen.push((m as { request: PeerRequest }).request)),
    });
    const f = await ceremoniedFleet({ network });
    const [a] = f.fleet.hsms;
    expect(() =>
      a!.handlePeer({ type: 'prepare', key: 'vault/alice', ballot: { round: 99, node: 1 }, mac: '00'.repeat(32) }),
    ).toThrow(/not authenticated/);
    const client = embeddedClient(f);
    await client.register('pw');
    const fullCount = seen.filter((m) => m.type === 'accept').at(-1)!;
    await expect(client.recover('wrong')).rejects.toThrow(/9 guesses left/);
    // An eavesdropper replays the accept that carried the full count: every replica refuses it.
    for (const h of f.fleet.hsms) expect(h.handlePeer(fullCount)).toMatchObject({ ok: false });
    // Re-MACing it under a higher ballot needs the fleet key; a forged MAC is refused outright.
    expect(() => a!.handlePeer({ ...fullCount, ballot: { round: 1000, node: 1 } })).toThrow(/not authenticated/);
    expect(f.fleet.replicaStatus('alice').map((s) => s.remaining)).toEqual([9, 9, 9, 9, 9]);
  });
});

describe('guess accounting', () => {
  it('an HSM answers a guess only after the decrement committed: if the accept cannot reach a majority, no response leaves', async () => {
    let armed = false;
    let fleet: SimFleet | undefined;
    const network = new SimNetwork({
      tap: (_from, _to, m) => {
        const msg = m as { kind: string; request: PeerRequest };
        // The moment the first accept goes out, three HSMs die: the commit cannot complete.
        if (armed && msg.kind === 'peer' && msg.request.type === 'accept') {
          armed = false;
          fleet!.stop(...fleet!.hsms.slice(2).map((h) => h.id));
        }
      },
    });
    const f = await ceremoniedFleet({ network });
    fleet = f.fleet;
    const client = embeddedClient(f);
    await client.register('pw');
    armed = true;
    const { startLoginRequest } = opaque.client.startLogin({ password: 'pw' });
    await expect(
      f.fleet.endpoint(f.fleet.hsms[0]!.id).call({ op: 'recover-start', userId: 'alice', request: startLoginRequest }),
    ).rejects.toMatchObject({ code: 'unavailable' });
    f.fleet.heal();
    // The partial write may still be adopted later (a guess spent, never answered); never a guess gained.
    const after = await client.recover('pw');
    expect(after.remaining).toBe(10);
  });
});

describe('abandoned last guess', () => {
  it('an attacker who never finishes or aborts the last guess does not keep the record alive', async () => {
    let clock = 1_000_000;
    const f = await ceremoniedFleet({ guessLimit: 2, loginTtlMs: 60_000, now: () => clock });
    await embeddedClient(f).register('pw');
    const hsm1 = f.fleet.endpoint(f.fleet.hsms[0]!.id);
    for (let i = 0; i < 2; i++) {
      const { startLoginRequest } = opaque.client.startLogin({ password: `guess-${i}` });
      await hsm1.call({ op: 'recover-start', userId: 'alice', request: startLoginRequest });
    }
    expect(f.fleet.replicaStatus('alice').map((s) => s.remaining)).toEqual([0, 0, 0, 0, 0]);
    clock += 61_000;
    await hsm1.call({ op: 'info' }); // any request lets the HSM notice the expired last guess
    await new Promise((r) => setTimeout(r, 20));
    expect(f.fleet.replicaStatus('alice').map((s) => s.kind)).toEqual([
      'destroyed',
      'destroyed',
      'destroyed',
      'destroyed',
      'destroyed',
    ]);
  });
});

describe('vault rules', () => {
  const live = (remaining: number): VaultValue => ({
    kind: 'live',
    generation: 'g1',
    record: 'r',
    wrappedKey: 'w',
    remaining,
    limit: 10,
    counted: [],
  });

  it('a guess is counted once per attempt id, refused at zero, and zero becomes a tombstone', () => {
    const g = guessChange('a1')(live(2));
    expect(g.result).toMatchObject({ ok: true, remaining: 1 });
    expect(guessChange('a1')(g.next).result).toMatchObject({ ok: true, remaining: 1 });
    const zero = guessChange('a2')(live(0));
    expect(zero.result.ok).toBe(false);
    expect(zero.next?.kind).toBe('destroyed');
  });

  it('a tombstone is terminal for its generation; only a new registration replaces it', () => {
    const dead: VaultValue = { kind: 'destroyed', generation: 'g1', reason: 'x' };
    expect(guessChange('a')(dead).result.ok).toBe(false);
    expect(resetChange('g1')(dead).result.ok).toBe(false);
    expect(destroyIfExhausted('g1')(dead).result).toBe(true);
    const again = registerChange({ generation: 'g2', record: 'r2', wrappedKey: 'w2', limit: 10 })(dead);
    expect(() => registerChange({ generation: 'g3', record: 'r', wrappedKey: 'w', limit: 10 })(live(5))).toThrow(
      /already registered/,
    );
    expect(again.next).toMatchObject({ kind: 'live', generation: 'g2', remaining: 10 });
  });

  it('reset needs the same generation and restores the full count', () => {
    expect(resetChange('other')(live(3)).result.ok).toBe(false);
    expect(resetChange('g1')(live(3)).next).toMatchObject({ remaining: 10 });
    expect(destroyIfExhausted('g1')(live(1)).next).toBeNull();
  });
});

describe('SQLite acceptor store', () => {
  it('keeps promises and accepted values across a reopen', () => {
    const path = join(tempDir('fleetlog-acceptor-'), 'a.db');
    const s1 = new SqliteAcceptorStore(path);
    s1.put('vault/u', {
      promised: { round: 3, node: 2 },
      accepted: { round: 2, node: 1 },
      value: Uint8Array.of(1, 2, 3),
    });
    s1.close();
    const s2 = new SqliteAcceptorStore(path);
    expect(s2.get('vault/u')).toEqual({
      promised: { round: 3, node: 2 },
      accepted: { round: 2, node: 1 },
      value: Uint8Array.of(1, 2, 3),
    });
    expect(s2.keys()).toEqual(['vault/u']);
    s2.close();
  });
});
