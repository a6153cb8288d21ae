import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { adopt } from '../claims/reconcile.js';
import { claimsByNode } from '../placer/fleet-view.js';
import { NodeRegistry } from '../registry/registry.js';
import { helloFor } from '../registry/testing.js';
import { emptyState } from '../store/types.js';
import { nodeSeries } from './node-series.js';

const conn = () => ({ send: () => undefined, close: () => undefined });
const vm = (id: string, numa: number, pins: number[]) => ({
  vm_id: id,
  name: id,
  state: 'running' as const,
  numa_node: numa,
  vcpu_pins: pins,
  emulator_cpuset: [],
  memory_mb: 4096,
  vcpu_count: pins.length,
  cpu_policy: 'dedicated' as const,
  domain_uuid: null,
});

function fleet() {
  const registry = new NodeRegistry({ rand: () => 0 });
  registry.connect(helloFor('n1'), conn(), 1_000);
  registry.connect(helloFor('n2'), conn(), 2_000);
  let state = emptyState();
  const put = (node: string, r: ReturnType<typeof vm>) => {
    state = { ...state, vms: { ...state.vms, [r.vm_id]: adopt(node, r, 'now') } };
  };
  let claims = claimsByNode(state);
  const series = nodeSeries({
    entries: () => registry.entries(),
    state: () => state,
    claimsOf: () => (id) => claims.get(id) ?? [],
    overcommit: 1,
    now: () => 3_500,
  });
  const render = async () => Buffer.concat(await series()).toString('utf8');
  const refresh = () => {
    claims = claimsByNode(state);
  };
  return { registry, put, render, refresh };
}

const line = (text: string, prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));

describe('nodeSeries (per-node /metrics families)', () => {
  it('renders heartbeat age and per-NUMA free threads and memory for every node', async () => {
    const f = fleet();
    const text = await f.render();
    expect(line(text, 'vmpool_node_heartbeat_age_seconds{node="n1"}')).toBe(
      'vmpool_node_heartbeat_age_seconds{node="n1"} 2.5',
    );
    expect(text.match(/^vmpool_numa_free_threads\{/gm)).toHaveLength(4); // 2 nodes × 2 NUMA nodes
    expect(text.match(/^# TYPE vmpool_numa_free_memory_bytes gauge$/gm)).toHaveLength(1);
  });

  it('a claim on one node changes that node lines only, at the next scrape', async () => {
    const f = fleet();
    const before = await f.render();
    const n1 = line(before, 'vmpool_numa_free_threads{node="n1",numa_node="0"}')!;
    const n2 = line(before, 'vmpool_numa_free_threads{node="n2",numa_node="0"}')!;
    f.put('n1', vm('v1', 0, [10, 11]));
    f.refresh();
    const after = await f.render();
    const free = (l: string) => Number(l.split(' ')[1]);
    expect(free(line(after, 'vmpool_numa_free_threads{node="n1",numa_node="0"}')!)).toBe(free(n1) - 2);
    expect(line(after, 'vmpool_numa_free_threads{node="n2",numa_node="0"}')).toBe(n2);
  });

  it.skipIf(spawnSync('promtool', ['--version']).status !== 0)('passes promtool check metrics', async () => {
    const r = spawnSync('promtool', ['check', 'metrics'], {
      input: await fleet().render(),
      encoding: 'utf8',
    });
    expect(`${r.stdout}${r.stderr}`).toBe('');
  });
});
