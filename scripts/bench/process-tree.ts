import { readFileSync, readdirSync } from 'node:fs';

/** Linux clock ticks per second for /proc CPU times (USER_HZ, 100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

interface ProcStat {
  readonly pid: number;
  readonly parent: number;
  readonly cpuMicros: number;
  readonly rss: number;
}

function statOf(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { pid, parent: Number(fields[1]), cpuMicros: (ticks * 1_000_000) / TICKS_PER_SECOND, rss: Number(fields[21]) * PAGE_BYTES };
  } catch {
    return undefined;
  }
}

/**
 * CPU time and resident memory of a process and its children (a cluster's
 * primary and workers), read from /proc: the cluster cannot report over the
 * bench's IPC as a single bench-server process does. Linux only; zeros elsewhere.
 */
export function processTreeStats(root: number): { rss: number; cpuMicros: number } {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return { rss: 0, cpuMicros: 0 };
  }
  const stats = entries.map((name) => statOf(Number(name))).filter((stat): stat is ProcStat => stat !== undefined);
  const tree = stats.filter((stat) => stat.pid === root || stat.parent === root);
  return tree.reduce((sum, stat) => ({ rss: sum.rss + stat.rss, cpuMicros: sum.cpuMicros + stat.cpuMicros }), { rss: 0, cpuMicros: 0 });
}
