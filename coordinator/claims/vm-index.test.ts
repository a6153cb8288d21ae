import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimsByNode } from '../placer/fleet-view.js';
import { MemoryStore, type StoreState, type VmRecord } from '../store/index.js';
import { tenantUsage } from '../tenants/quota.js';
import { VmIndex } from './vm-index.js';
import { scanFree } from '../bands/allocator.js';

// The index must always answer what a full scan of the store answers, however records change,
// including a failed write that rolls the state back (a `reset` from the change feed).

const vm = (id: string, tenant: string, node: string | null, vmid: number): VmRecord => ({
  id,
  tenant,
  name: `n-${id}`,
  vmid,
  tags: [],
  request: { vcpu_count: 2, memory_mb: 512 },
  state: 'running',
  node_id: node,
  placement:
    node === null
      ? null
      : {
          numa_node: 0,
          vcpu_pins: [vmid % 8],
          emulator_cpuset: [],
          memory_nodeset: '0',
          cpu_policy: 'dedicated',
          memory_mb: 512 + vmid,
          vcpu_count: 1 + (vmid % 3),
          pass: 1,
        },
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
});

type Op =
  | { kind: 'put'; id: number; tenant: number; node: number; vmid: number }
  | { kind: 'del'; id: number }
  | { kind: 'edit'; id: number; rename: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('put' as const),
    id: fc.nat(15),
    tenant: fc.nat(2),
    node: fc.integer({ min: -1, max: 3 }),
    vmid: fc.nat(20),
  }),
  fc.record({ kind: fc.constant('del' as const), id: fc.nat(15) }),
  // a change through the draft that keeps the claim: a state change, or one that also renames
  fc.record({ kind: fc.constant('edit' as const), id: fc.nat(15), rename: fc.boolean() }),
);

function expectMatches(index: VmIndex, state: StoreState): void {
  const all = Object.values(state.vms);
  const byNode = claimsByNode(state);
  for (const node of ['n0', 'n1', 'n2', 'n3']) {
    const ids = (list: { vm_id: string }[]) => list.map((a) => a.vm_id).sort();
    expect(ids(index.claimsOn(node))).toEqual(ids(byNode.get(node) ?? []));
  }
  for (const tenant of ['t0', 't1', 't2']) {
    const own = all.filter((v) => v.tenant === tenant);
    expect(
      index
        .tenantVms(tenant)
        .map((v) => v.id)
        .sort(),
    ).toEqual(own.map((v) => v.id).sort());
    expect(index.tenantUsage(tenant)).toEqual(tenantUsage(own));
    for (const v of all) expect(index.nameTaken(tenant, v.name)).toBe(own.some((o) => o.name === v.name));
  }
  expect([...index.usedVmids()].sort()).toEqual([...new Set(all.map((v) => v.vmid))].sort());
  // the resumable lowest-free search answers like a scan, for overlapping ranges, asked repeatedly
  const used = new Set(all.map((v) => v.vmid));
  for (const [from, to] of [
    [0, 9],
    [2, 5],
    [0, 9],
  ] as const)
    expect(index.firstFree(from, to), `${from}:${to}`).toBe(scanFree(from, to, used));
}

describe('VmIndex follows the store', () => {
  it('answers like a full scan after any sequence of changes and rollbacks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(opArb, fc.boolean()), { maxLength: 40 }), async (ops) => {
        const store = new MemoryStore();
        await store.load();
        const index = new VmIndex(store);
        for (const [op, fail] of ops) {
          store.failWrites = fail && op.kind === 'put' && op.id % 3 === 0;
          const write = store.update((d) => {
            const rec = d.vms[`v${op.id}`];
            if (op.kind === 'del') delete d.vms[`v${op.id}`];
            else if (op.kind === 'edit') {
              if (!rec) return;
              rec.state = rec.state === 'running' ? 'paused' : 'running';
              if (op.rename) rec.name = `${rec.name}x`;
            } else {
              const node = op.node < 0 ? null : `n${op.node}`;
              d.vms[`v${op.id}`] = vm(`v${op.id}`, `t${op.tenant}`, node, op.vmid);
            }
          });
          expectMatches(index, store.read());
          await write.catch(() => undefined);
          expectMatches(index, store.read());
        }
      }),
      { numRuns: 150 },
    );
  });

  it('reports the nodes whose claims changed, once', async () => {
    const store = new MemoryStore();
    await store.load();
    const index = new VmIndex(store);
    await store.update((d) => {
      d.vms.a = vm('a', 't0', 'n1', 1);
    });
    expect(index.drainChangedNodes()).toEqual(['n1']);
    expect(index.drainChangedNodes()).toEqual([]);
    await store.update((d) => {
      d.vms.a = vm('a', 't0', 'n2', 1);
    });
    expect(index.drainChangedNodes().sort()).toEqual(['n1', 'n2']);
  });

  it('leaves a node alone when a record changes state but keeps its claim (order and pins)', async () => {
    const store = new MemoryStore();
    await store.load();
    const index = new VmIndex(store);
    await store.update((d) => {
      d.vms.a = { ...vm('a', 't0', 'n1', 1), state: 'creating' };
      d.vms.b = vm('b', 't0', 'n1', 2);
    });
    expect(index.drainChangedNodes()).toEqual(['n1']);
    const before = index.claimsOn('n1');
    const version = index.nodeVersion('n1');
    await store.update((d) => {
      d.vms.a!.state = 'running';
    });
    expect(store.read().vms.a?.state).toBe('running');
    expect(index.drainChangedNodes()).toEqual([]);
    // the same allocation objects in the same order: placement's diff sees nothing to redo
    expect(index.claimsOn('n1')).toEqual(before);
    expect(index.claimsOn('n1').every((a, i) => a === before[i])).toBe(true);
    // reconcile's "anything new on this node?" still sees the record change
    expect(index.nodeVersion('n1')).not.toBe(version);
    expectMatches(index, store.read());
    await store.update((d) => {
      d.vms.a!.placement = null;
    });
    expect(index.drainChangedNodes()).toEqual(['n1']);
    expect(index.claimsOn('n1').map((a) => a.vm_id)).toEqual(['b']);
  });

  it('works over a store without a change feed by re-reading on a new root', async () => {
    const store = new MemoryStore();
    await store.load();
    const plain = {
      read: () => store.read(),
      load: () => store.load(),
      update: store.update.bind(store),
      writes: 0,
    };
    const index = new VmIndex(plain);
    await store.update((d) => {
      d.vms.a = vm('a', 't0', 'n1', 1);
    });
    expectMatches(index, store.read());
  });
});
