// HSMs that come back (specs/consensus.md §2.1): a stale HSM answers no client until it has caught
// up through a majority; the catch-up finds registers it never saw; the key list is MACed; an HSM
// restarted on a store that holds registers starts stale. And the HSM-to-HSM HTTP transport
// delays by the latency model, as the in-process network does.
import { chmodSync, copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteAcceptorStore } from '../../simulator/consensus/sqlite-store.ts';
import { fleetHsm } from '../../simulator/fleet-members.ts';
import { loadOrCreateIdentity } from '../../simulator/hsm-process.ts';
import { HttpPeerTransport } from '../../simulator/http/peer-transport.ts';
import { DEFAULT_LATENCY_MATRIX } from '../../simulator/net/default-latency.ts';
import { LatencyModel } from '../../simulator/net/latency.ts';
import { HsmVendor } from '../../simulator/hsm/vendor.ts';
import { tempDir } from '../support/process.ts';
import { ceremoniedFleet, embeddedClient } from './support.ts';

describe('HSMs that come back', () => {
  it('a stale HSM refuses clients until it reaches a majority, then serves the fleet-wide value', async () => {
    const f = await ceremoniedFleet();
    const [h1, h2, h3, h4, h5] = f.fleet.hsms;
    await embeddedClient(f, 'old').register('pw');
    f.fleet.stop(h1!.id);
    // Registered while h1 was away: h1 has never seen this register.
    await embeddedClient(f, 'new').register('pw');
    expect(h1!.status('new').kind).toBe('empty');
    // h1 returns into a fleet where only h2 answers it: no majority, so it stays stale and refuses.
    f.fleet.stop(h3!.id, h4!.id, h5!.id);
    f.fleet.start(h1!.id);
    expect(h1!.stale).toBe(true);
    await expect(
      f.fleet.endpoint(h1!.id).call({ op: 'register-start', userId: 'x', request: 'x' }),
    ).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/catching up/),
    });
    expect(h1!.stale).toBe(true);
    // With a majority back it catches up on the register it never saw, before answering.
    f.fleet.start(h3!.id);
    const recovered = await embeddedClient(f, 'new').recover('pw');
    expect(recovered.hsmId).toBe(h1!.id);
    expect(h1!.stale).toBe(false);
    expect(h2!.status('new').kind).toBe('live');
  });

  it('the key list is a MACed peer message', async () => {
    const f = await ceremoniedFleet();
    const h = f.fleet.hsms[0]!;
    expect(() => h.handlePeer({ type: 'keys', key: '', ballot: { round: 0, node: 0 }, mac: '00'.repeat(32) })).toThrow(
      expect.objectContaining({ code: 'forbidden' }),
    );
  });

  it('an HSM restarted on a store that holds registers starts stale', () => {
    const path = join(tempDir('fleetlog-rejoin-'), 'hsm.db');
    const store = new SqliteAcceptorStore(path);
    store.put('vault/alice', {
      promised: { round: 1, node: 1 },
      accepted: { round: 1, node: 1 },
      value: Uint8Array.of(0),
    });
    store.close();
    const peers = { replicas: ['a-hsm-1'], send: async () => ({ ok: true as const }) };
    const place = { id: 'a-hsm-1', region: 'r', index: 1 };
    const again = new SqliteAcceptorStore(path);
    expect(fleetHsm(place, { vendor: HsmVendor.generate() }, peers, again).stale).toBe(true);
    again.close();
    expect(fleetHsm(place, { vendor: HsmVendor.generate() }, peers).stale).toBe(false);
  });

  it('an HSM process keeps its identity key in its data directory (0600) across restarts', () => {
    const dataDir = join(tempDir('fleetlog-hsm-identity-'), 'a-hsm-1');
    const peers = { replicas: ['a-hsm-1'], send: async () => ({ ok: true as const }) };
    const place = { id: 'a-hsm-1', region: 'r', index: 1 };
    const vendor = HsmVendor.generate();
    const first = fleetHsm(place, { vendor }, peers, undefined, loadOrCreateIdentity(dataDir, place.id));
    const path = join(dataDir, 'identity.key');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // The restarted process reads the same key back: the same device, as the pinned key set says.
    const restarted = fleetHsm(place, { vendor }, peers, undefined, loadOrCreateIdentity(dataDir, place.id));
    expect(restarted.identityKey).toBe(first.identityKey);
    expect(restarted.describe().identityKey).toBe(first.identityKey);
    // Without a data directory every start is a new device.
    expect(fleetHsm(place, { vendor }, peers).identityKey).not.toBe(first.identityKey);
    // Another HSM's key file is refused, not adopted; so is one others can read.
    const other = join(tempDir('fleetlog-hsm-identity-'), 'a-hsm-2');
    mkdirSync(other);
    copyFileSync(path, join(other, 'identity.key'));
    expect(() => loadOrCreateIdentity(other, 'a-hsm-2')).toThrow(/identity key of HSM a-hsm-1, not of a-hsm-2/);
    chmodSync(path, 0o644);
    expect(() => loadOrCreateIdentity(dataDir, place.id)).toThrow(/readable by group or others/);
  });
});

describe('HSM-to-HSM HTTP with the latency model', () => {
  it('holds each request and reply for one leg between the two regions', async () => {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      // 1/5 of the published us-east-1 <-> ap-northeast-1 round trip: 29.06 ms, no jitter.
      const model = new LatencyModel({ ...DEFAULT_LATENCY_MATRIX, jitter: 0 }).scaled(0.2);
      const t = new HttpPeerTransport('a', ['a', 'b'], new Map([['b', url]]), {
        model,
        region: 'us-east-1',
        regions: new Map([['b', 'ap-northeast-1']]),
      });
      const t0 = performance.now();
      expect(await t.send('b', { type: 'keys', key: '', ballot: { round: 0, node: 0 }, mac: '' })).toEqual({
        ok: true,
      });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(29.06 - 1);
    } finally {
      server.close();
    }
  });
});
