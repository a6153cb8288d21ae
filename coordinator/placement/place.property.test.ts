import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocationFromDecision, placeVm } from './place.js';
import { withAllocation } from './testing.js';
import { configArb, fleetArb, requestArb } from './testing/arbitraries.js';
import type { PlacementConfig, PlacementNode, PlacementRequest, PlacementResult } from './types.js';

interface Run {
  readonly nodes: PlacementNode[];
  readonly steps: { request: PlacementRequest; result: PlacementResult; before: PlacementNode[] }[];
}

function runStream(
  fleet: PlacementNode[],
  requests: Omit<PlacementRequest, 'vm_id'>[],
  config: PlacementConfig,
): Run {
  let nodes = fleet;
  const steps: Run['steps'] = [];
  requests.forEach((r, i) => {
    const request = { ...r, vm_id: `vm-${i}` };
    const result = placeVm(nodes, request, config);
    steps.push({ request, result, before: nodes });
    if (!result.ok) return;
    const allocation = allocationFromDecision(request, result.decision);
    nodes = nodes.map((n) => (n.id === result.decision.node_id ? withAllocation(n, allocation) : n));
  });
  return { nodes, steps };
}

function checkNodeHolds(node: PlacementNode, overcommit: number): void {
  const reserved = new Set(node.host_reserved_cpus);
  const dedicated = node.allocations.filter((a) => a.cpu_policy === 'dedicated').flatMap((a) => [...a.pins]);
  const sharedPins = node.allocations.filter((a) => a.cpu_policy === 'shared').flatMap((a) => [...a.pins]);
  expect(new Set(dedicated).size, 'a dedicated thread is in two allocations').toBe(dedicated.length);
  expect(dedicated.filter((t) => reserved.has(t) || sharedPins.includes(t))).toEqual([]);
  expect(sharedPins.filter((t) => reserved.has(t))).toEqual([]);
  const load = new Map<number, number>();
  for (const t of sharedPins) load.set(t, (load.get(t) ?? 0) + 1);
  expect([...load.values()].every((l) => l <= overcommit)).toBe(true);
  for (const numa of node.topology.numa_nodes) {
    const used = node.allocations.filter((a) => a.numa_node === numa.id).reduce((s, a) => s + a.memory_mb, 0);
    expect(used).toBeLessThanOrEqual(Math.max(0, numa.memory_mb - (node.host_reserved_memory_mb ?? 0)));
  }
  const groups = node.allocations.flatMap((a) => (a.anti_affinity_group ? [a.anti_affinity_group] : []));
  expect(new Set(groups).size).toBe(groups.length);
}

function checkStep({ request, result, before }: Run['steps'][number]): void {
  const ids = before.map((n) => n.id).sort();
  const [first, second] = result.passes;
  for (const pass of result.passes.filter((p) => p.ran)) {
    expect([...pass.candidates, ...pass.rejected.map((r) => r.node_id)].sort()).toEqual(ids);
  }
  expect(second!.ran).toBe(first!.candidates.length === 0 && request.allow_reserved);
  if (!result.ok) {
    for (const pass of result.passes.filter((p) => p.ran)) expect(pass.candidates).toEqual([]);
    return;
  }
  const { decision } = result;
  const node = before.find((n) => n.id === decision.node_id)!;
  const numaThreads = node.topology.numa_nodes
    .find((n) => n.id === decision.numa_node)!
    .cpus.map((c) => c.id);
  expect(decision.vcpu_pins).toHaveLength(request.vcpu_count);
  expect(decision.vcpu_pins.every((t) => numaThreads.includes(t))).toBe(true);
  expect(decision.pass).toBe(first!.candidates.length > 0 ? 1 : 2);
  expect(node.alive && (node.kvm || !request.requires_kvm) && (decision.pass === 2 || !node.reserved)).toBe(
    true,
  );
  expect(
    request.image === undefined || node.images === undefined || node.images.includes(request.image),
  ).toBe(true);
}

describe('placeVm properties over random fleets and request streams', () => {
  it('never double-books threads or memory and always explains itself', () => {
    fc.assert(
      fc.property(
        fleetArb(8),
        fc.array(requestArb, { maxLength: 40 }),
        configArb,
        (fleet, requests, config) => {
          const run = runStream(fleet, requests, config);
          run.steps.forEach(checkStep);
          for (const node of run.nodes) checkNodeHolds(node, config.cpu_overcommit);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same results for the same fleet, requests and seed', () => {
    fc.assert(
      fc.property(
        fleetArb(8),
        fc.array(requestArb, { maxLength: 20 }),
        configArb,
        (fleet, requests, config) => {
          const results = (nodes: PlacementNode[]) =>
            runStream(nodes, requests, config).steps.map((s) => s.result);
          // Fresh copies defeat the per-node view cache, so this also checks the cache changes nothing.
          expect(results(fleet.map((n) => ({ ...n })))).toEqual(results(fleet));
        },
      ),
      { numRuns: 100 },
    );
  });
});
