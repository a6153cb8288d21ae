import type { HostTopology } from '../../shared/topology.js';
import type { VmBackend } from '../backends/backend.js';
import { readFreeMemory } from '../topology/index.js';

/** NodeSnapshot is a heartbeat's live figures; the VM list is read at send time by the link. */
export interface NodeSnapshot {
  readonly free_memory_mb: { numa_node: number; free_memory_mb: number }[];
  /** stats are a few backend figures per VM, keyed by vm id */
  readonly stats: Record<string, Record<string, number | string | boolean>>;
}

/** readSnapshot reads free memory per NUMA node (topology's figures if sysfs fails) and VM stats (none if the backend fails). */
export async function readSnapshot(o: {
  topology: HostTopology;
  sysRoot: string;
  backend: VmBackend;
  idByName: ReadonlyMap<string, string>;
}): Promise<NodeSnapshot> {
  const free = await readFreeMemory(o.topology, o.sysRoot).catch(() =>
    o.topology.numa_nodes.map((n) => ({ numa_node: n.id, free_memory_mb: n.free_memory_mb })),
  );
  const stats = await statsById(o.backend, o.idByName).catch(() => ({}));
  return { free_memory_mb: free, stats };
}

async function statsById(
  backend: VmBackend,
  idByName: ReadonlyMap<string, string>,
): Promise<NodeSnapshot['stats']> {
  const out: NodeSnapshot['stats'] = {};
  for (const [name, figures] of await backend.stats()) {
    const id = idByName.get(name);
    // the link carries numbers only (the coordinator refuses anything else)
    if (id) out[id] = Object.fromEntries(Object.entries(figures).filter(([, v]) => Number.isFinite(v)));
  }
  return out;
}
