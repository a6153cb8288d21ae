import type { HostTopology } from '../../shared/topology.js';
import { parseMeminfo, readProcMemory } from './procfs.js';
import { HostFiles } from './reader.js';
import { readNodeIds, readNodeMeminfo } from './sysfs.js';

/** FreeMemory is one NUMA node's free memory right now, as heartbeats carry it. */
export interface FreeMemory {
  readonly numa_node: number;
  readonly free_memory_mb: number;
}

/** readFreeMemory re-reads each NUMA node's MemFree (or /proc/meminfo on a host without NUMA nodes). */
export async function readFreeMemory(
  topo: HostTopology,
  root = '/',
  files = new HostFiles(root),
): Promise<FreeMemory[]> {
  if ((await readNodeIds(files)) === null) {
    const whole = await readProcMemory(files);
    return topo.numa_nodes.map((n) => ({ numa_node: n.id, free_memory_mb: whole.free_memory_mb }));
  }
  return Promise.all(
    topo.numa_nodes.map(async (n) => ({
      numa_node: n.id,
      free_memory_mb: parseMeminfo(await readNodeMeminfo(files, n.id), `node${n.id}/meminfo`).free_memory_mb,
    })),
  );
}
