// The log's add-checkpoint client follows redirects exactly as the auditor's bounded GETs do
// (service/http-redirects.ts): at most 5 hops, http(s) only; and, for a POST, only 307/308, which
// keep the method and body. Anything else is a bad response, never a silent GET.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCheckpoint } from '../../core/checkpoint.ts';
import { cosignatureVerifier } from '../../core/cosignature.ts';
import { EMPTY_ROOT } from '../../core/merkle/hash.ts';
import { generateKey, KEY_TYPE_ED25519, parseSignerKey } from '../../core/note/keys.ts';
import { ed25519NoteSigner } from '../../core/note/verifiers.ts';
import { addCheckpoint } from '../../log-server/witnessing/add-checkpoint.ts';
import { startFakeWitness, type FakeWitness } from './fake-witness.ts';

const origin = 'redirects.example/log';
const logKey = parseSignerKey(generateKey(origin, KEY_TYPE_ED25519).skey);
const note = signCheckpoint({ origin, size: 0, rootHash: EMPTY_ROOT }, [ed25519NoteSigner(logKey)]);
let witness: FakeWitness;
let redirector: Server;
let base: string;

beforeAll(async () => {
  witness = await startFakeWitness('witness.example/redirected', logKey.vkey);
  // /hops/N/add-checkpoint redirects N+1 times before reaching the witness; /code/C redirects with C.
  redirector = createServer((req, res) => {
    const path = req.url ?? '/';
    let m = /^\/hops\/(\d+)\/add-checkpoint$/.exec(path);
    if (m) {
      const n = Number(m[1]);
      const next = n === 0 ? `${witness.url}/add-checkpoint` : `/hops/${n - 1}/add-checkpoint`;
      res.writeHead(307, { location: next }).end();
      return;
    }
    m = /^\/code\/(\d+)\/add-checkpoint$/.exec(path);
    if (m) {
      res.writeHead(Number(m[1]), { location: `${witness.url}/add-checkpoint` }).end();
      return;
    }
    if (path === '/ftp/add-checkpoint') {
      res.writeHead(308, { location: 'ftp://127.0.0.1/add-checkpoint' }).end();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await witness.close();
  redirector.closeAllConnections();
  await new Promise((r) => redirector.close(r));
});

const call = (prefix: string) =>
  addCheckpoint({
    witness: { name: 'w', verifier: cosignatureVerifier(witness.vkey), url: prefix },
    url: prefix,
    oldSize: 0,
    proof: [],
    note,
    text: note.slice(0, note.indexOf('\n\n') + 1),
    timeoutMs: 5000,
  });

describe("the log's witness client and redirects", () => {
  it('follows up to five 307/308 hops, keeping the POST and its body', async () => {
    expect((await call(`${base}/hops/4`)).kind).toBe('cosigned');
    expect(await call(`${base}/code/308`)).toMatchObject({ kind: 'cosigned' });
  });

  it('refuses a sixth hop, a method-changing redirect and a non-HTTP target', async () => {
    expect(await call(`${base}/hops/5`)).toMatchObject({ kind: 'bad_response', message: /more than 5 times/ });
    for (const code of [301, 302, 303])
      expect(await call(`${base}/code/${code}`)).toMatchObject({ kind: 'bad_response', message: /only 307 and 308/ });
    expect(await call(`${base}/ftp`)).toMatchObject({ kind: 'bad_response', message: /non-HTTP/ });
  });
});
