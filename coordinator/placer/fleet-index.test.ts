import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { VmIndex } from '../claims/vm-index.js';
import { placeVm } from '../placement/place.js';
import type { PlacementRequest } from '../placement/types.js';
import { NodeRegistry } from '../registry/registry.js';
import { helloFor } from '../registry/testing.js';
import { MemoryStore, type VmRecord } from '../store/index.js';
import { FleetIndex, REFRESH_SLICE } from './fleet-index.js';
import { placementNodes } from './fleet-view.js';

// FleetIndex must show placement the same fleet the full rebuild (placementNodes) shows, after
// registry changes (connect, disconnect, sweep) and claims written to the store.

const conn = () => ({ send: () => undefined, close: () => undefined });
const request: PlacementRequest = {
  vm_id: 'x',
  vcpu_count: 32,
  memory_mb: 1024,
  cpu_policy: 'dedicated',
  requires_kvm: true,
  allow_reserved: false,
};

function claim(id: string, node: string, pins: number[]): VmRecord {
  return {
    id,
    tenant: 't',
    name: id,
    vmid: pins[0]!,
    tags: [],
    request: null,
    state: 'running',
    node_id: node,
    placement: {
      numa_node: 0,
      vcpu_pins: pins,
      emulator_cpuset: [],
      memory_nodeset: '0',
      cpu_policy: 'dedicated',
      memory_mb: 1024,
      vcpu_count: pins.length,
      pass: 1,
    },
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  };
}

async function setup() {
  const store = new MemoryStore();
  await store.load();
  const registry = new NodeRegistry();
  const fleet = new FleetIndex(registry, new VmIndex(store));
  const same = () => {
    const want = placeVm(placementNodes(registry.list(), store.read()), request, undefined, {
      detail: 'nodes',
    });
    const got = fleet.current().place(request, undefined, { explain: true, detail: 'nodes' });
    // orders as Placer.run puts them in (the index lists nodes in the order they were added)
    for (const r of [got, want])
      for (const p of r.passes) {
        p.candidates.sort();
        p.rejected.sort((a, b) => a.node_id.localeCompare(b.node_id));
      }
    expect(got).toEqual(want);
    return got;
  };
  return { store, registry, same, fleet };
}

describe('FleetIndex', () => {
  it('follows connects, disconnects and down sweeps', async () => {
    const { registry, same } = await setup();
    const a = conn();
    registry.connect(helloFor('n1'), a, 0);
    registry.connect(helloFor('n2'), conn(), 0);
    expect(same().ok).toBe(true);
    registry.disconnect('n1', a);
    expect(same().passes[0]!.reasons.node_down).toBe(1);
    registry.sweep(10 ** 9);
    expect(same().ok).toBe(false);
  });

  it('follows claims written to the store, on the node they name', async () => {
    const { store, registry, same } = await setup();
    registry.connect(helloFor('n1'), conn(), 0);
    expect(same().ok).toBe(true);
    await store.update((d) => {
      d.vms.a = claim('a', 'n1', [0, 1, 2, 3, 4, 5]);
      d.vms.b = claim('b', 'n1', [18, 19, 20, 21, 22, 23]);
    });
    const after = same();
    expect(after.ok).toBe(false);
    expect(after.passes[0]!.reasons).toEqual({ numa_cpu_fit: 1 });
    await store.update((d) => {
      delete d.vms.b;
    });
    expect(same().ok).toBe(true);
  });

  it('indexes nodes that said hello in the background, a slice per turn, before any decision', async () => {
    const { registry, same, fleet } = await setup();
    const count = 2 * REFRESH_SLICE + 100;
    for (let i = 0; i < count; i++) registry.connect(helloFor(`n${i}`), conn(), 0);
    expect(fleet.pending).toBe(count);
    await turn();
    expect(fleet.pending).toBe(count - REFRESH_SLICE);
    await turn();
    await turn();
    expect(fleet.pending).toBe(0);
    // what the background applied is what a full rebuild shows
    expect(same().ok).toBe(true);
  });
});
