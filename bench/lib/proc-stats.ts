// Per-process figures from /proc for benches.
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100;

/** cpuSeconds is a process's user + system CPU time so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** mainThreadCpuSeconds is a process's main thread (its event loop) user + system CPU time so far. */
export function mainThreadCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** rssMib is a process's resident set size in MiB. */
export function rssMib(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  return Math.round(kb / 102.4) / 10;
}

/** MachineTicks is a reading of /proc/stat's cpu line: busy and total ticks of all cores. */
export interface MachineTicks {
  busy: number;
  total: number;
}

/**
 * machineBusy reads /proc/stat; given an earlier reading, it also says how busy every core was in
 * between (all processes: the machine is shared), as a percentage of all cores.
 */
export function machineBusy(since?: MachineTicks): MachineTicks & { pct: number; cores: number } {
  const text = readFileSync('/proc/stat', 'utf8');
  const f = text.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const cores = (text.match(/^cpu\d+ /gm) ?? []).length;
  const now = { busy: total - idle, total };
  const pct = since ? ((now.busy - since.busy) / Math.max(1, now.total - since.total)) * 100 : Number.NaN;
  return { ...now, pct, cores };
}
