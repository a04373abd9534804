/**
 * A test server in front of the real log that can alter the bytes it passes on: the page under
 * test talks only to it, so it sees exactly what a malicious log (or CDN) would serve. Requests go
 * upstream without Accept-Encoding, so entry bundles arrive uncompressed and can be edited.
 */
import { createServer, request, type Server } from 'node:http';

export type Alter = (path: string, body: Buffer) => Buffer;

export class TamperProxy {
  alter: Alter | undefined;
  /** Paths answered from here instead of upstream (e.g. an old checkpoint, for a rollback); text/plain unless typed. */
  readonly replace = new Map<string, Buffer | { body: Buffer; type: string }>();
  readonly #server: Server;
  url = '';

  constructor(readonly upstream: string) {
    this.#server = createServer((req, res) => {
      const path = req.url ?? '/';
      const local = this.replace.get(path.split('?')[0]!);
      if (local) {
        const { body, type } = Buffer.isBuffer(local) ? { body: local, type: 'text/plain; charset=utf-8' } : local;
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
        res.end(body);
        return;
      }
      const up = request(`${this.upstream}${path}`, { method: req.method ?? 'GET' }, (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => {
          let body: Buffer = Buffer.concat(chunks);
          if (this.alter) body = this.alter(path, body);
          const headers = { ...upRes.headers, 'content-length': String(body.length) };
          delete headers['content-encoding'];
          res.writeHead(upRes.statusCode ?? 502, headers);
          res.end(body);
        });
      });
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(up);
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
    return this;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** Replaces every occurrence of `from` with `to` (same length, so bundle framing holds) in entry bundles. */
export function editEntryBundles(from: string, to: string): Alter {
  if (from.length !== to.length) throw new Error('an in-place edit keeps the length');
  return (path, body) => {
    if (!path.startsWith('/tile/entries/')) return body;
    const out = Buffer.from(body);
    for (let at = out.indexOf(from); at >= 0; at = out.indexOf(from, at + 1)) out.write(to, at, 'latin1');
    return out;
  };
}

/** Flips one hex digit of every publisher signature inside key-set entries. */
export function alterPublisherSignatures(): Alter {
  const marker = Buffer.from('"publisherSignature":{');
  return (path, body) => {
    if (!path.startsWith('/tile/entries/')) return body;
    const out = Buffer.from(body);
    for (let at = out.indexOf(marker); at >= 0; at = out.indexOf(marker, at + 1)) {
      const sig = out.indexOf('"signature":"', at) + '"signature":"'.length;
      out[sig] = out[sig] === 0x30 ? 0x31 : 0x30;
    }
    return out;
  };
}
