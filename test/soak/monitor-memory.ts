/**
 * Is `audit monitor`'s memory growth a leak or GC slack? Runs the monitor loop in this process
 * against a synthetic fleetlog log that grows like the soak's (deployment evidence, a key set every
 * 50th), saving its state every round as the CLI does, and prints per 20 rounds the heap in use
 * after a full GC (a leak grows it), the RSS (which GC slack also grows) and the state file's size.
 *
 *   node --expose-gc --import tsx test/soak/monitor-memory.ts [rounds] [entries per round]
 */
import { runMonitor } from '../../auditor-cli/monitor.ts';
import { parseLogAuditState, serializeLogAuditState } from '../../auditor-cli/log-audit/log-state.ts';
import { deployment, keyset } from '../auditor/support/fleet-fixtures.ts';
import { fleetScenario, serveScenario } from '../auditor/support/scenario.ts';

const rounds = Number(process.argv[2] ?? '200');
const perRound = Number(process.argv[3] ?? '100');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const s = fleetScenario();
const served = await serveScenario(() => s.log);
const stop = new AbortController();
let round = 0;
let appended = 0;
let stateBytes = 0;
const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
console.log('round entries heapAfterGC_MiB rss_MiB state_kB');
try {
  await runMonitor(
    { log: served.url, policy: s.policy, policyText: s.policyText, witnesses: [], maxAgeSeconds: 3600, workers: 0 },
    {
      intervalSeconds: 0.01,
      once: false,
      hook: 'cat > /dev/null',
      signal: stop.signal,
      // As the CLI: the state goes through its file format every round.
      saveState: (state) => {
        const text = serializeLogAuditState(state);
        stateBytes = text.length;
        parseLogAuditState(text);
      },
      onRound: () => {
        round += 1;
        for (let i = 0; i < perRound; i++, appended++) {
          const d = deployment(s.fleet, `soak-${appended % 150}`, { hsms: 1 });
          s.log.append(d.bytes);
          if (appended % 50 === 0) s.log.append(keyset(s.fleet, `soak-${appended % 150}`, appended + 1, d));
        }
        s.log.publish();
        if (round % 20 === 0) {
          gc();
          const m = process.memoryUsage();
          console.log(`${round} ${s.log.size} ${mib(m.heapUsed)} ${mib(m.rss)} ${(stateBytes / 1000).toFixed(1)}`);
        }
        if (round >= rounds) stop.abort();
      },
    },
  );
} finally {
  await served.close();
}
