import type { Hello } from '../../shared/protocol.js';

type Topology = Hello['topology'];
type Threads = Topology['numa_nodes'][number]['cpus'];

/** MAX_LAYOUTS bounds the table: a fleet has a handful of host models, a hostile one cannot grow it. */
export const MAX_LAYOUTS = 1024;

/** MAX_LAYOUT_CHARS bounds one kept list (as JSON; 256 threads are ~13 KB): a larger one stays the node's own. */
export const MAX_LAYOUT_CHARS = 65_536;

/**
 * TopologyInterner shares one frozen copy of each NUMA node's thread list (id, core, socket,
 * siblings: the bulk of a hello's topology, 72 objects and 72 arrays on a seed-003 host) between the
 * hosts whose layout is the same, as most of a fleet's are. At 10,000 nodes that is 1.4 million
 * fewer live objects for every major GC to mark. Everything else in the topology stays the node's
 * own (hostname, free memory). The shared lists are frozen: no holder can change another node's.
 */
export class TopologyInterner {
  private readonly layouts = new Map<string, Threads>();

  /** topology returns `t` with each NUMA node's thread list replaced by the shared copy of it. */
  topology(t: Topology): Topology {
    return { ...t, numa_nodes: t.numa_nodes.map((n) => ({ ...n, cpus: this.threads(n.cpus) })) };
  }

  /** size is how many distinct thread lists are kept. */
  get size(): number {
    return this.layouts.size;
  }

  private threads(cpus: Threads): Threads {
    const key = JSON.stringify(cpus);
    const hit = this.layouts.get(key);
    if (hit) return hit;
    if (this.layouts.size >= MAX_LAYOUTS || key.length > MAX_LAYOUT_CHARS) return cpus;
    const shared = deepFreeze(cpus.map((c) => ({ ...c, siblings: [...c.siblings] })));
    this.layouts.set(key, shared);
    return shared;
  }
}

function deepFreeze(cpus: Threads): Threads {
  for (const c of cpus) {
    Object.freeze(c.siblings);
    Object.freeze(c);
  }
  return Object.freeze(cpus) as Threads;
}
