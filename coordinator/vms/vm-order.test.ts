import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import type { VmRecord, VmState } from '../store/types.js';
import { compareKeys } from './list-page.js';
import { VmOrder } from './vm-order.js';

const STATES: VmState[] = ['creating', 'running', 'stopped', 'failed'];

function vm(i: number, at: number, node: string | null, state: VmState): VmRecord {
  const created = new Date(Date.UTC(2026, 0, 1, 0, 0, at)).toISOString();
  return {
    id: `v${i}`,
    tenant: 't',
    name: `v${i}`,
    vmid: i,
    tags: [],
    request: {},
    state,
    node_id: node,
    placement: null,
    created_at: created,
    updated_at: created,
  };
}

describe('VmOrder', () => {
  it('keeps page order and per-node state counts equal to a full scan through random changes', async () => {
    const store = new MemoryStore();
    await store.load();
    const order = new VmOrder(store);
    let seed = 7;
    const rng = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)] as T;
    for (let step = 0; step < 300; step++) {
      await store.update((d) => {
        const ids = Object.keys(d.vms);
        const r = rng();
        const node = pick([null, 'n1', 'n2']);
        if (r < 0.5 || ids.length === 0) {
          const i = step * 10 + Math.floor(rng() * 10);
          d.vms[`v${i}`] = vm(i, Math.floor(rng() * 40), node, pick(STATES));
        } else if (r < 0.7) delete d.vms[pick(ids)];
        else {
          const v = d.vms[pick(ids)];
          if (v) [v.state, v.node_id] = [pick(STATES), node];
        }
      });
      const all = Object.values(store.read().vms);
      expect([...order.idsAfter(null)]).toEqual([...all].sort(compareKeys).map((v) => v.id));
      const scan = new Map<string | null, Map<string, number>>();
      for (const v of all) {
        const m = scan.get(v.node_id) ?? new Map<string, number>();
        m.set(v.state, (m.get(v.state) ?? 0) + 1);
        scan.set(v.node_id, m);
      }
      expect(order.stateCounts()).toEqual(scan);
    }
    const keys = [...order.idsAfter(null)];
    const mid = store.read().vms[keys[5] as string] as VmRecord;
    expect([...order.idsAfter(mid)]).toEqual(keys.slice(6));
  });
});

describe('VmOrder on a store loaded before it', () => {
  it('builds from the whole state at the first change it sees, not from that change alone', async () => {
    const store = new MemoryStore();
    await store.load();
    await store.update((d) => {
      for (let i = 0; i < 5; i++) d.vms[`v${i}`] = vm(i, i, 'n1', 'running');
    });
    const order = new VmOrder(store);
    await store.update((d) => {
      d.vms.v9 = vm(9, 9, null, 'creating');
    });
    expect([...order.idsAfter(null)]).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v9']);
    expect(order.stateCounts().get('n1')?.get('running')).toBe(5);
  });
});
