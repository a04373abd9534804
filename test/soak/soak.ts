/**
 * The soak: a log, two witnesses, an appender and `audit monitor`, each a real process on
 * loopback, while a chaos loop kills a random one with SIGKILL at random intervals and restarts it
 * (the log at once: the writer lock must allow it). At the end the chaos stops, the stack settles,
 * a full `audit log` of the whole log must pass, and every entry the log ever acknowledged must be
 * at its index. Everything is bounded: the run length, the restart delay, each final step's
 * timeout; every process is killed on the way out.
 *
 *   npm run soak -- --minutes 10 [--seed S] [--keep DIR] [--json]
 *
 * Alerts the monitor raises are sorted into expected ones (M5 new key sets, which the appender
 * writes; M7 a witness unreadable while it was down) and unexpected ones (everything else: a
 * rollback, a fork, a split view, an invalid checkpoint, a failed verification, staleness).
 * The run passes only with no unexpected alert, a passing audit and no lost entry.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeEntryBundle } from '../../core/entry-bundle.ts';
import { leafHash } from '../../core/merkle/hash.ts';
import { parseCheckpointNote } from '../../core/checkpoint.ts';
import { loadKeys, loadPolicyText } from '../../log-server/load/keys.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(ROOT, 'bin/fleetlog.js');
const ORIGIN = 'soak.fleetlog.example/log';

export interface SoakOptions {
  readonly seconds: number;
  readonly seed?: string;
  /** Keep the data here (default: a temporary directory, removed at the end). */
  readonly dir?: string;
  /** Kill intervals are uniform in [minGap, maxGap] seconds. */
  readonly minGapSeconds?: number;
  readonly maxGapSeconds?: number;
  readonly log?: (line: string) => void;
}

type Name = 'log' | 'w1' | 'w2' | 'appender' | 'monitor';
const NAMES: readonly Name[] = ['log', 'w1', 'w2', 'appender', 'monitor'];

export interface SoakReport {
  readonly ok: boolean;
  readonly problems: string[];
  readonly seconds: number;
  readonly kills: Record<Name, number>;
  readonly acknowledged: number;
  readonly treeSize: number;
  readonly missing: number;
  readonly alerts: { readonly expected: Record<string, number>; readonly unexpected: string[] };
  readonly audit: { readonly code: number | null; readonly summary: string };
  readonly rssKiB: { readonly start: Partial<Record<Name, number>>; readonly end: Partial<Record<Name, number>> };
  readonly loadAverage: { readonly start: number[]; readonly end: number[] };
}

interface Component {
  readonly name: Name;
  readonly args: () => string[];
  readonly node?: boolean;
  child?: ChildProcess;
  exited?: Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function fleetlog(args: string[], input?: string): string {
  return execFileSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, encoding: 'utf8' }).trim();
}

function rssKiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function waitHttp(url: string, deadlineMs: number): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return true;
    } catch {
      await sleep(100);
    }
  }
  return false;
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const say = o.log ?? (() => undefined);
  const seed = o.seed ?? `soak-${Date.now()}`;
  const dir = o.dir ?? join(tmpdir(), `fleetlog-soak-${process.pid}-${Date.now()}`);
  const keep = o.dir !== undefined;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const problems: string[] = [];
  const kills = Object.fromEntries(NAMES.map((n) => [n, 0])) as Record<Name, number>;
  const acked = new Map<number, string>();
  const loadStart = loadavg();

  // The stack: a log whose policy pins two witnesses, quorum 1 of 2 (so it keeps publishing while
  // one is down), and the load generator's publisher / countersigner / vendor keys.
  const [logPort, w1Port, w2Port] = [await freePort(), await freePort(), await freePort()];
  const logUrl = `http://127.0.0.1:${logPort}`;
  const logDir = join(dir, 'log');
  const logVkey = fleetlog(['log', 'init', '--data', logDir, '--origin', ORIGIN]);
  const token = fleetlog(['log', 'token', 'add', '--data', logDir, '--name', 'soak']);
  const witnessLines: string[] = [];
  for (const [i, port] of [
    [1, w1Port],
    [2, w2Port],
  ] as const) {
    const wDir = join(dir, `w${i}`);
    const vkey = fleetlog(['witness', 'init', '--data', wDir, '--name', `w${i}.soak.example`]);
    fleetlog(['witness', 'add-log', '--data', wDir, '--origin', ORIGIN, '--vkey', logVkey]);
    witnessLines.push(`witness w${i} ${vkey} http://127.0.0.1:${port}`);
  }
  const keys = loadKeys(seed);
  const policyFile = join(dir, 'policy.txt');
  writeFileSync(
    policyFile,
    [
      `log ${logVkey} ${logUrl}`,
      ...witnessLines,
      'group any 1 w1 w2',
      loadPolicyText(keys, seed).replace('quorum none', 'quorum any'),
    ].join('\n'),
  );
  const alertsFile = join(dir, 'alerts.jsonl');
  writeFileSync(alertsFile, '');

  const components: Component[] = [
    {
      name: 'log',
      args: () => ['log', 'serve', '--data', logDir, '--listen', `127.0.0.1:${logPort}`, '--policy', policyFile],
    },
    {
      name: 'w1',
      args: () => ['witness', 'serve', '--data', join(dir, 'w1'), '--listen', `127.0.0.1:${w1Port}`, '--threads', '1'],
    },
    {
      name: 'w2',
      args: () => ['witness', 'serve', '--data', join(dir, 'w2'), '--listen', `127.0.0.1:${w2Port}`, '--threads', '1'],
    },
    {
      name: 'appender',
      node: true,
      args: () => ['--import', 'tsx', join(ROOT, 'test/soak/appender.ts'), logUrl, token, seed, '3', '20'],
    },
    {
      name: 'monitor',
      args: () => [
        'audit',
        'monitor',
        '--log',
        logUrl,
        '--policy',
        policyFile,
        '--witness',
        `w1=http://127.0.0.1:${w1Port}`,
        '--witness',
        `w2=http://127.0.0.1:${w2Port}`,
        '--interval',
        '3',
        '--max-age',
        '600',
        '--state',
        join(dir, 'monitor.state'),
        '--workers',
        '0',
        '--hook',
        `cat >> ${alertsFile}`,
      ],
    },
  ];
  const outputs = new Map<Name, string>();
  let appenderBuffer = '';
  const start = (c: Component): void => {
    const child = spawn(process.execPath, c.node ? c.args() : [BIN, ...c.args()], {
      cwd: ROOT,
      env: { ...process.env, FLEETLOG_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    c.child = child;
    c.exited = new Promise((r) => child.once('exit', () => r()));
    child.stderr!.on('data', (d: Buffer) =>
      outputs.set(c.name, ((outputs.get(c.name) ?? '') + d.toString()).slice(-4000)),
    );
    if (c.name === 'appender') {
      appenderBuffer = '';
      child.stdout!.on('data', (d: Buffer) => {
        appenderBuffer += d.toString();
        const lines = appenderBuffer.split('\n');
        appenderBuffer = lines.pop()!;
        for (const line of lines) {
          const a = JSON.parse(line) as { index: number; leafHash: string };
          const before = acked.get(a.index);
          if (before !== undefined && before !== a.leafHash)
            problems.push(`index ${a.index} acknowledged for two different entries`);
          acked.set(a.index, a.leafHash);
        }
      });
    } else {
      child.stdout!.resume();
    }
  };
  const byName = (n: Name): Component => components.find((c) => c.name === n)!;
  const running = (c: Component): boolean =>
    c.child !== undefined && c.child.exitCode === null && c.child.signalCode === null;

  try {
    for (const n of ['w1', 'w2', 'log'] as const) start(byName(n));
    for (const [n, port] of [
      ['w1', w1Port],
      ['w2', w2Port],
      ['log', logPort],
    ] as const) {
      if (!(await waitHttp(`http://127.0.0.1:${port}/health`, 30_000)))
        throw new Error(`${n} did not start: ${outputs.get(n)}`);
    }
    start(byName('appender'));
    start(byName('monitor'));
    await sleep(5000);
    const rssStart = Object.fromEntries(NAMES.map((n) => [n, rssKiB(byName(n).child?.pid)]));
    say(`soak: ${o.seconds} s in ${dir}, rss at start ${JSON.stringify(rssStart)}`);

    // Chaos: kill -9 a random component, restart it (the log at once, others after up to 0.5 s).
    const minGap = o.minGapSeconds ?? 3;
    const maxGap = o.maxGapSeconds ?? 9;
    const end = Date.now() + o.seconds * 1000;
    while (Date.now() < end) {
      await sleep(Math.min(end - Date.now(), (minGap + Math.random() * (maxGap - minGap)) * 1000));
      if (Date.now() >= end) break;
      for (const c of components) if (!running(c)) problems.push(`${c.name} died by itself: ${outputs.get(c.name)}`);
      for (const c of components) if (!running(c)) start(c);
      const c = components[Math.floor(Math.random() * components.length)]!;
      c.child!.kill('SIGKILL');
      await c.exited;
      kills[c.name] += 1;
      if (c.name !== 'log') await sleep(Math.random() * 500);
      start(c);
      say(
        `soak: killed and restarted ${c.name} (${Object.values(kills).reduce((a, b) => a + b)} kills, ${acked.size} acknowledged)`,
      );
    }

    // Settle: everything up, the appender stopped, the log published everything it acknowledged.
    for (const c of components) if (!running(c)) start(c);
    for (const [n, port] of [
      ['w1', w1Port],
      ['w2', w2Port],
      ['log', logPort],
    ] as const) {
      if (!(await waitHttp(`http://127.0.0.1:${port}/health`, 30_000))) problems.push(`${n} did not come back`);
    }
    await sleep(2000);
    const rssEnd = Object.fromEntries(NAMES.map((n) => [n, rssKiB(byName(n).child?.pid)]));
    const appender = byName('appender');
    appender.child!.kill('SIGTERM');
    await Promise.race([appender.exited, sleep(15_000)]);
    const highest = Math.max(-1, ...acked.keys());
    let treeSize = 0;
    for (const until = Date.now() + 60_000; Date.now() < until; await sleep(500)) {
      try {
        const note = await (await fetch(`${logUrl}/checkpoint`, { signal: AbortSignal.timeout(5000) })).text();
        treeSize = parseCheckpointNote(note).checkpoint.size;
        if (treeSize > highest) break;
      } catch {
        // not published yet
      }
    }
    if (treeSize <= highest)
      problems.push(`the published tree (${treeSize}) never covered acknowledged index ${highest}`);
    // One more monitor round over the settled log, then stop it.
    await sleep(4000);
    const monitor = byName('monitor');
    monitor.child!.kill('SIGTERM');
    await Promise.race([monitor.exited, sleep(15_000)]);

    // A full audit, from scratch, of the whole log.
    const audit = await new Promise<{ code: number | null; out: string }>((res) => {
      const child = spawn(
        process.execPath,
        [BIN, 'audit', 'log', '--log', logUrl, '--policy', policyFile, '--no-timeline'],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        res({ code, out });
      });
    });
    if (audit.code !== 0) problems.push(`audit log exited ${audit.code}`);

    // Every acknowledged entry is at its index.
    let missing = 0;
    for (let bundle = 0; bundle * 256 < treeSize; bundle++) {
      const width = Math.min(256, treeSize - bundle * 256);
      const path = `tile/entries/${formatIndex(bundle)}${width < 256 ? `.p/${width}` : ''}`;
      const res = await fetch(`${logUrl}/${path}`);
      const entries = decodeEntryBundle(new Uint8Array(await res.arrayBuffer()), width);
      entries.forEach((e, i) => {
        const want = acked.get(bundle * 256 + i);
        if (want !== undefined && want !== Buffer.from(leafHash(e)).toString('hex')) missing++;
      });
    }
    for (const index of acked.keys()) if (index >= treeSize) missing++;
    if (missing > 0) problems.push(`${missing} acknowledged entries are missing or moved`);

    const expected: Record<string, number> = {};
    const unexpected: string[] = [];
    for (const line of readFileSync(alertsFile, 'utf8').split('\n').filter(Boolean)) {
      const a = JSON.parse(line) as { kind: string; rule: string; message: string };
      if (a.kind === 'new_keyset' || a.kind === 'witness_unreadable')
        expected[`${a.rule} ${a.kind}`] = (expected[`${a.rule} ${a.kind}`] ?? 0) + 1;
      else unexpected.push(`${a.rule} ${a.kind}: ${a.message}`);
    }
    if (unexpected.length > 0) problems.push(`${unexpected.length} unexpected alerts`);
    return {
      ok: problems.length === 0,
      problems,
      seconds: o.seconds,
      kills,
      acknowledged: acked.size,
      treeSize,
      missing,
      alerts: { expected, unexpected },
      audit: { code: audit.code, summary: audit.out.split('\n').filter(Boolean).slice(-6).join('\n') },
      rssKiB: { start: rssStart, end: rssEnd },
      loadAverage: { start: loadStart, end: loadavg() },
    };
  } finally {
    for (const c of components) if (c.child && running(c)) c.child.kill('SIGKILL');
    await Promise.all(components.map((c) => (c.child ? Promise.race([c.exited, sleep(5000)]) : undefined)));
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Tile index N as a tlog-tiles path: 3-digit groups, all but the last prefixed with x. */
function formatIndex(n: number): string {
  const groups: string[] = [];
  let v = n;
  do {
    groups.unshift(String(v % 1000).padStart(3, '0'));
    v = Math.floor(v / 1000);
  } while (v > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

// `npm run soak -- --minutes N`
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const get = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const minutes = Number(get('--minutes') ?? '1');
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error('--minutes must be between 0 and 1440');
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  const dir = get('--keep');
  if (dir && existsSync(dir)) throw new Error(`${dir} exists`);
  const report = await runSoak({
    seconds: minutes * 60,
    ...(get('--seed') ? { seed: get('--seed')! } : {}),
    ...(dir ? { dir } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (args.includes('--append-to')) appendFileSync(get('--append-to')!, `${JSON.stringify(report)}\n`);
  process.exit(report.ok ? 0 : 1);
}
