import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeState } from './node-state.js';
import { allocationFromDecision, placeVm } from './place.js';
import { withAllocation } from './testing.js';
import { configArb, hostArb, requestArb } from './testing/arbitraries.js';
import type { Allocation, PlacementNode, PlacementRequest } from './types.js';

// A NodeState changed claim by claim (add / remove) must hold exactly what a fresh build of the
// same node holds: every per-NUMA figure, the totals, the group holders and the per-thread arrays.

function figures(state: NodeState) {
  return {
    numa: state.numa.map((n) => ({ ...n })),
    freeThreads: state.freeThreads,
    memoryFreeMb: state.memoryFreeMb,
    groups: [...state.groups.entries()],
    reserved: [...state.reserved],
    pinned: [...state.pinned],
    load: [...state.load],
  };
}

/** filled places the requests on the (alive, unreserved) host one by one and keeps what fitted. */
function filled(
  host: PlacementNode,
  requests: readonly Omit<PlacementRequest, 'vm_id'>[],
  seed: number,
): Allocation[] {
  let node: PlacementNode = { ...host, alive: true, reserved: false, kvm: true, images: undefined };
  const out: Allocation[] = [];
  requests.forEach((r, i) => {
    const request = { ...r, vm_id: `vm-${i}` };
    const result = placeVm([node], request, { ranking: 'pack', cpu_overcommit: 2, seed });
    if (!result.ok) return;
    const a = allocationFromDecision(request, result.decision);
    out.push(a);
    node = withAllocation(node, a);
  });
  return out;
}

describe('NodeState in place', () => {
  it('equals a fresh build after any order of claims and releases', () => {
    fc.assert(
      fc.property(
        hostArb(0),
        fc.array(requestArb, { maxLength: 24 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        configArb,
        (host, requests, removals, config) => {
          const all = filled(host, requests, config.seed);
          const state = NodeState.of({ ...host, allocations: [] });
          const held: Allocation[] = [];
          for (const a of all) {
            held.push(a);
            state.add(a);
          }
          for (const r of removals) {
            if (held.length === 0) break;
            const [gone] = held.splice(r % held.length, 1);
            state.remove(gone!, held);
            expect(figures(state)).toEqual(figures(NodeState.of({ ...host, allocations: [...held] })));
          }
          expect(figures(state)).toEqual(figures(NodeState.of({ ...host, allocations: held })));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is not vacuous: the generated hosts take claims', () => {
    const hosts = fc.sample(hostArb(0), { numRuns: 20, seed: 3 });
    const requests = fc.sample(fc.array(requestArb, { minLength: 10, maxLength: 10 }), {
      numRuns: 20,
      seed: 4,
    });
    const claims = hosts.reduce((sum, h, i) => sum + filled(h, requests[i]!, 1).length, 0);
    expect(claims).toBeGreaterThan(40);
  });
});
