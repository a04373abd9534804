// A minimal C2SP tlog-witness for tests: one log, compare-and-swap on the size, 409 with
// text/x.tlog.size, consistency checked, cosignatures from core/cosignature.ts. Knobs let a test
// hold answers (gate), hang, or refuse with 422.
import { Hono } from 'hono';
import { bytesEqual, decodeUtf8, utf8 } from '../../core/bytes.ts';
import { openCheckpoint } from '../../core/checkpoint.ts';
import { cosignerFromKey } from '../../core/cosignature.ts';
import { EMPTY_ROOT, type Hash } from '../../core/merkle/hash.ts';
import { verifyConsistency } from '../../core/merkle/verify.ts';
import { generateKey, KEY_TYPE_COSIGNATURE, parseSignerKey } from '../../core/note/keys.ts';
import { ed25519NoteVerifier } from '../../core/note/verifiers.ts';
import { parseAddCheckpoint } from '../../core/witness-request.ts';
import { startHttpServer, type RunningServer } from '../../service/serve.ts';

export interface FakeWitness {
  readonly name: string;
  readonly vkey: string;
  readonly url: string;
  /** What the witness holds for the log. */
  state: { size: number; root: Hash };
  mode: 'ok' | 'hang' | 'reject422';
  requests: Array<{ old: number; size: number; status: number }>;
  /** While set, answers wait for it. */
  gate: Promise<void> | undefined;
  close(): Promise<void>;
}

export async function startFakeWitness(name: string, logVkey: string): Promise<FakeWitness> {
  const { skey, vkey } = generateKey(name, KEY_TYPE_COSIGNATURE);
  const cosigner = cosignerFromKey(parseSignerKey(skey));
  const logVerifier = ed25519NoteVerifier(logVkey);
  const app = new Hono();
  let server: RunningServer | undefined;
  const hanging: Array<() => void> = [];
  const w: FakeWitness = {
    name,
    vkey,
    url: '',
    state: { size: 0, root: EMPTY_ROOT },
    mode: 'ok',
    requests: [],
    gate: undefined,
    async close() {
      for (const h of hanging) h();
      await server?.close();
    },
  };
  app.post('/add-checkpoint', async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (w.mode === 'hang') {
      await new Promise<void>((r) => hanging.push(r));
      return c.text('gone', 503);
    }
    if (w.gate) await w.gate;
    const req = parseAddCheckpoint(body);
    const note = decodeUtf8(req.checkpoint);
    const cp = openCheckpoint(note, [logVerifier]).checkpoint;
    const answer = (status: number, text: string, type = 'text/plain; charset=utf-8'): Response => {
      w.requests.push({ old: req.oldSize, size: cp.size, status });
      return new Response(text, { status, headers: { 'content-type': type } });
    };
    if (w.mode === 'reject422') return answer(422, 'consistency proof does not verify');
    if (req.oldSize > cp.size) return answer(400, 'old size larger than checkpoint size');
    if (req.oldSize !== w.state.size) return answer(409, `${w.state.size}\n`, 'text/x.tlog.size');
    if (req.oldSize === cp.size) {
      if (req.proof.length !== 0 || !bytesEqual(cp.rootHash, w.state.root))
        return answer(409, `${w.state.size}\n`, 'text/x.tlog.size');
    } else if (!verifyConsistency(req.oldSize, cp.size, w.state.root, cp.rootHash, req.proof)) {
      return answer(422, 'consistency proof does not verify');
    }
    w.state = { size: cp.size, root: cp.rootHash };
    const text = note.slice(0, note.indexOf('\n\n') + 1);
    return answer(200, cosigner.cosign(utf8(text), Math.floor(Date.now() / 1000)));
  });
  server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  return Object.assign(w, { url: server.url });
}
