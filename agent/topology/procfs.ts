import { TopologyError } from './errors.js';
import type { HostFiles } from './reader.js';

const KIB_PER_MIB = 1024;

/** MemorySize is a memory total and its free part, in whole MiB. */
export interface MemorySize {
  readonly memory_mb: number;
  readonly free_memory_mb: number;
}

/** parseMeminfo reads MemTotal and MemFree (kB) from /proc/meminfo or a node's meminfo ("Node 0 MemTotal:"). */
export function parseMeminfo(text: string, source: string): MemorySize {
  const field = (name: string): number => {
    const m = new RegExp(`^(?:Node \\d+ )?${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (!m) throw new TopologyError(`Cannot parse ${source}: no ${name} line`);
    return Math.floor(Number(m[1]) / KIB_PER_MIB);
  };
  return { memory_mb: field('MemTotal'), free_memory_mb: field('MemFree') };
}

/** readProcMemory reads whole-host memory from /proc/meminfo (used when the kernel has no NUMA nodes). */
export async function readProcMemory(files: HostFiles): Promise<MemorySize> {
  return parseMeminfo(await files.required('/proc/meminfo'), files.path('/proc/meminfo'));
}

/** parseCpuModel gives the first "model name" in /proc/cpuinfo text, or null (some arches lack it). */
export function parseCpuModel(cpuinfo: string): string | null {
  const m = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
  return m?.[1]?.trim() || null;
}

/** readCpuModel reads the CPU model from /proc/cpuinfo below the root; null when absent. */
export async function readCpuModel(files: HostFiles): Promise<string | null> {
  const text = await files.optional('/proc/cpuinfo');
  return text === null ? null : parseCpuModel(text);
}
