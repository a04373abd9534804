/** CPU time of other processes (Linux /proc), so the bench can show what a flood costs the server. */
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc times are in these ticks (100 on every mainstream architecture). */
const CLOCK_TICKS = 100;

/** CPU milliseconds (user + system, all threads) process `pid` has used; undefined off Linux. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the ")" that ends the command name start at field 3; utime and stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
