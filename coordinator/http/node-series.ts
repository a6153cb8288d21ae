import { placementNodes } from '../placer/fleet-view.js';
import { freeSummary } from '../placement/summary.js';
import type { Allocation, PlacementNode } from '../placement/types.js';
import type { NodeEntry } from '../registry/registry.js';
import type { StoreState } from '../store/types.js';

/** NodeSeriesSources are what the per-node families are read from at scrape time. */
export interface NodeSeriesSources {
  entries: () => Iterable<NodeEntry>;
  state: () => StoreState;
  /** claimsOf is the create-path index's per-node claims (undefined: one scan of the store) */
  claimsOf: () => ((nodeId: string) => Allocation[]) | undefined;
  overcommit: number;
  now?: () => number;
}

type NumaLines = { threads: string; memory: string };

const FAMILIES = {
  age: ['vmpool_node_heartbeat_age_seconds', 'Seconds since the node last beat'],
  threads: ['vmpool_numa_free_threads', 'Free host threads per NUMA node'],
  memory: ['vmpool_numa_free_memory_bytes', 'Free memory per NUMA node'],
} as const;

/**
 * nodeSeries renders the per-node /metrics families (heartbeat age, free threads and memory per NUMA
 * node) as Prometheus text. A node's NUMA lines are kept with the PlacementNode they came from:
 * placement hands over the same object while the node's hello, liveness and claims are unchanged, so
 * a scrape rebuilds only the nodes that changed. At 10,000 nodes, rebuilding every series through
 * prom-client's labelled gauges on each scrape took seconds and stalled heartbeats behind it.
 */
export function nodeSeries(s: NodeSeriesSources): () => string {
  // by node id, the PlacementNode its lines came from: a Map rebuilt per scrape (gone nodes drop out),
  // not a WeakMap, whose 10,000 ephemerons every major GC would have to revisit in its final pause
  let cache = new Map<string, { node: PlacementNode; lines: NumaLines }>();
  return () => {
    const next = new Map<string, { node: PlacementNode; lines: NumaLines }>();
    const entries = [...s.entries()];
    const now = (s.now ?? Date.now)();
    const nodes = placementNodes(entries, s.state(), s.claimsOf());
    const age: string[] = [];
    const threads: string[] = [];
    const memory: string[] = [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      age.push(`${FAMILIES.age[0]}{node="${label(e.id)}"} ${Math.max(0, (now - e.lastSeen) / 1000)}\n`);
      const n = nodes[i]!;
      const hit = cache.get(n.id);
      const lines = hit?.node === n ? hit.lines : numaLines(n, s.overcommit);
      next.set(n.id, { node: n, lines });
      threads.push(lines.threads);
      memory.push(lines.memory);
    }
    cache = next;
    return family('age', age) + family('threads', threads) + family('memory', memory);
  };
}

function numaLines(n: PlacementNode, overcommit: number): NumaLines {
  let threads = '';
  let memory = '';
  for (const f of freeSummary(n, { cpu_overcommit: overcommit }).numa) {
    const labels = `{node="${label(n.id)}",numa_node="${f.numa_node}"}`;
    threads += `${FAMILIES.threads[0]}${labels} ${f.threads_free}\n`;
    memory += `${FAMILIES.memory[0]}${labels} ${f.memory_free_mb * 2 ** 20}\n`;
  }
  return { threads, memory };
}

function family(key: keyof typeof FAMILIES, lines: string[]): string {
  const [name, help] = FAMILIES[key];
  return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${lines.join('')}`;
}

/** label escapes a Prometheus label value (backslash, double quote, newline). */
function label(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}
