/**
 * A complete fleetlog deployment on localhost: one log-server, three witnesses (quorum 2 of 3),
 * the keys of the publisher, the independent countersigner and the HSM vendor, and the trust
 * policy that pins them all. Everything lives under one data directory, so it can be inspected
 * and used afterwards: log/ and witness-N/ (SQLite), policy.txt, and one directory per party with
 * its own 0600 key file: publisher/ (with the log's submitter token), countersigner/, hsm-vendor/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_TYPE_ED25519, generateKey, parseSignerKey, type SignerKey } from '../../core/note/keys.ts';
import { parsePolicy, type Policy } from '../../core/policy/policy.ts';
import { addToken, initLog, startLogServer } from '../../log-server/index.ts';
import { silentLogger, type Logger } from '../../service/logger.ts';
import { writeKeyFile } from '../../service/key-file.ts';
import { addLog, initWitness, startWitness } from '../../witness/index.ts';
import { HsmVendor } from '../hsm/vendor.ts';

export interface StackOptions {
  readonly dataDir: string;
  readonly origin?: string;
  readonly witnesses?: number;
  readonly quorum?: number;
  readonly logger?: Logger;
}

export interface RunningWitnessInfo {
  readonly name: string;
  readonly policyName: string;
  readonly url: string;
  readonly vkey: string;
  readonly dataDir: string;
  close(): Promise<void>;
}

export interface Stack {
  readonly dataDir: string;
  readonly log: {
    readonly url: string;
    readonly origin: string;
    readonly vkey: string;
    readonly token: string;
    readonly dataDir: string;
  };
  readonly witnesses: readonly RunningWitnessInfo[];
  readonly policyText: string;
  /** policy.txt under the data directory (with the log's URL). */
  readonly policyFile: string;
  /** Each party's own directory, holding its key file. */
  readonly dirs: { readonly publisher: string; readonly countersigner: string; readonly vendor: string };
  readonly policy: Policy;
  readonly publisher: SignerKey;
  readonly countersigner: SignerKey;
  readonly vendor: HsmVendor;
  close(): Promise<void>;
}

function newSigner(dir: string, file: string, name: string): SignerKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { skey } = generateKey(name, KEY_TYPE_ED25519);
  writeKeyFile(join(dir, file), skey);
  return parseSignerKey(skey);
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const origin = o.origin ?? 'demo.fleetlog.example/log';
  const logger = o.logger ?? silentLogger;
  const n = o.witnesses ?? 3;
  const quorum = o.quorum ?? Math.floor(n / 2) + 1;
  const dirs = {
    publisher: join(o.dataDir, 'publisher'),
    countersigner: join(o.dataDir, 'countersigner'),
    vendor: join(o.dataDir, 'hsm-vendor'),
  };

  const logDir = join(o.dataDir, 'log');
  const { vkey: logVkey } = await initLog({ dataDir: logDir, origin });
  const token = await addToken({ dataDir: logDir, name: 'ceremony' });

  const closers: (() => Promise<void>)[] = [];
  try {
    const witnesses: RunningWitnessInfo[] = [];
    for (let i = 1; i <= n; i++) {
      const dataDir = join(o.dataDir, `witness-${i}`);
      const name = `witness-${i}.fleetlog.example`;
      const { vkey } = await initWitness({ dataDir, name });
      addLog({ dataDir, origin, vkey: logVkey });
      const w = await startWitness({ dataDir, logger: logger.child(`witness-${i}`) });
      closers.push(() => w.close());
      witnesses.push({ name, policyName: `w${i}`, url: w.url, vkey, dataDir, close: () => w.close() });
    }

    const publisher = newSigner(dirs.publisher, 'publisher.key', 'publisher.fleetlog.example');
    const countersigner = newSigner(dirs.countersigner, 'countersigner.key', 'countersigner.auditor.example');
    writeKeyFile(join(dirs.publisher, 'log.token'), token);
    mkdirSync(dirs.vendor, { recursive: true, mode: 0o700 });
    const vendorSkey = generateKey('hsm-vendor.example', KEY_TYPE_ED25519).skey;
    writeKeyFile(join(dirs.vendor, 'hsm-vendor.key'), vendorSkey);
    const vendor = new HsmVendor(vendorSkey);

    const policyText = [
      '# fleetlog demo trust policy',
      `log ${logVkey}`,
      ...witnesses.map((w) => `witness ${w.policyName} ${w.vkey} ${w.url}`),
      `group witnesses ${quorum} ${witnesses.map((w) => w.policyName).join(' ')}`,
      'quorum witnesses',
      `fleetlog publisher ${publisher.vkey}`,
      `fleetlog countersigner ${countersigner.vkey}`,
      `fleetlog hsm-vendor ${vendor.vkey}`,
      '',
    ].join('\n');

    const log = await startLogServer({ dataDir: logDir, policyText, logger: logger.child('log'), batchMaxWaitMs: 2 });
    closers.unshift(() => log.close());
    // The file others use also says where the log is (the server itself needs no URL for itself).
    const policyFile = join(o.dataDir, 'policy.txt');
    writeFileSync(policyFile, policyText.replace(`log ${logVkey}\n`, `log ${logVkey} ${log.url}\n`));
    return {
      dataDir: o.dataDir,
      log: { url: log.url, origin, vkey: logVkey, token, dataDir: logDir },
      witnesses,
      policyText,
      policyFile,
      dirs,
      policy: parsePolicy(policyText),
      publisher,
      countersigner,
      vendor,
      async close() {
        for (const c of closers) await c().catch(() => undefined);
      },
    };
  } catch (e) {
    for (const c of closers) await c().catch(() => undefined);
    throw e;
  }
}
