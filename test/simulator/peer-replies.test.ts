// Peer REPLIES are authenticated too (specs/consensus.md "Messages"). A killed HSM's address can be
// taken by anyone, and a rejoining or lagging HSM then takes that impostor's "promise" at face
// value: replaying a sealed value seen on the wire earlier (the record with all its guesses left)
// under a huge accepted ballot would make the proposer adopt it, bringing a destroyed record back
// and resetting its guess count. Replies carry a MAC bound to the request, so an impostor's reply
// counts as no reply at all.
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HttpPeerTransport } from '../../simulator/http/peer-transport.ts';
import { BackupClient, FAST_KEY_STRETCHING } from '../../simulator/client/backup-client.ts';
import { EmbeddedTrust } from '../../simulator/client/fleet-trust-source.ts';
import type { PeerRequest } from '../../simulator/hsm/messages.ts';
import { SimNetwork } from '../../simulator/net/sim-network.ts';
import { ceremoniedFleet } from './support.ts';

describe('peer replies', () => {
  it('an impostor answering for a stopped HSM cannot bring back a destroyed record with its guesses', async () => {
    const accepts: string[] = [];
    const network = new SimNetwork({
      tap: (_from, _to, message) => {
        const m = message as { kind: string; request: PeerRequest };
        if (m.kind === 'peer' && m.request.type === 'accept' && m.request.key === 'vault/alice')
          accepts.push(m.request.value);
      },
    });
    const f = await ceremoniedFleet({ network, size: 3, guessLimit: 3 });
    const [h1, h2, h3] = f.fleet.hsms;
    const client = (hsm = h1!) =>
      new BackupClient({
        userId: 'alice',
        fleetId: f.fleet.fleetId,
        endpoints: [f.fleet.endpoint(hsm.id)],
        trust: new EmbeddedTrust(f.fleet.fleetId, f.keyset.keys),
        keyStretching: FAST_KEY_STRETCHING,
      });
    await client().register('correct horse');
    const fresh = accepts.at(-1)!; // the record as registered: 3 guesses left, on the wire
    for (let i = 0; i < 3; i++) await expect(client().recover('wrong')).rejects.toThrow();
    expect(h1!.status('alice').kind).toBe('destroyed');

    // h3 is killed; an impostor answers at its address with the captured value under a huge ballot.
    // h2 is away too, so h1's majority is itself and "h3".
    f.fleet.stop(h2!.id, h3!.id);
    network.attach(h3!.id, h3!.region, async (_from, message) => {
      const m = message as { kind: string; request: PeerRequest };
      if (m.kind !== 'peer') throw new Error('not a peer message');
      if (m.request.type === 'prepare') return { ok: true, accepted: { round: 1e9, node: 9 }, value: fresh };
      if (m.request.type === 'keys') return { ok: true, keys: ['vault/alice'] };
      return { ok: true };
    });
    f.fleet.start(h3!.id);

    const attempt = client().recover('correct horse');
    await expect(attempt).rejects.toMatchObject({ code: expect.stringMatching(/^(unavailable|forbidden)$/) });
    expect(h1!.status('alice').kind).toBe('destroyed');
  });

  it('an endless reply at a peer address is cut off at the cap, not buffered', async () => {
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.write('{"ok":true,"keys":["');
      const more = (): void => {
        while (sent < 128 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent < 128 * 1024 * 1024) res.once('drain', more);
        else res.end();
      };
      more();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const t = new HttpPeerTransport('a', ['a', 'b'], new Map([['b', url]]));
      await expect(
        t.send('b', { type: 'keys', key: 'n', ballot: { round: 0, node: 0 }, mac: '' }),
      ).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/more than 16777216 bytes/),
      });
      expect(sent).toBeLessThan(64 * 1024 * 1024);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
