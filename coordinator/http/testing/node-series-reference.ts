// The per-node /metrics renderer as it was before wave 8 (every node's PlacementNode and age line
// built per scrape, joined into one string), kept only so tests can prove node-series.ts renders
// the same bytes. Not used by the coordinator.
import { placementNodes } from '../../placer/fleet-view.js';
import { freeSummary } from '../../placement/summary.js';
import type { PlacementNode } from '../../placement/types.js';
import type { NodeSeriesSources } from '../node-series.js';
import { label, SERIES } from '../node-rows.js';

type NumaLines = { threads: string; memory: string };

/** referenceNodeSeries renders the three per-node families exactly as the pre-wave-8 code did. */
export function referenceNodeSeries(s: NodeSeriesSources): () => string {
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
      age.push(`${SERIES.age[0]}{node="${label(e.id)}"} ${Math.max(0, (now - e.lastSeen) / 1000)}\n`);
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
    threads += `${SERIES.threads[0]}${labels} ${f.threads_free}\n`;
    memory += `${SERIES.memory[0]}${labels} ${f.memory_free_mb * 2 ** 20}\n`;
  }
  return { threads, memory };
}

function family(key: keyof typeof SERIES, lines: string[]): string {
  const [name, help] = SERIES[key];
  return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${lines.join('')}`;
}
