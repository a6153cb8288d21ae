import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocationFromDecision, placeVm } from './place.js';
import { PlacementIndex } from './placement-index.js';
import { syntheticHost, syntheticTopology, withAllocation } from './testing.js';
import type { PlacementConfig, PlacementNode, PlacementRequest } from './types.js';

// The index must decide exactly like the full scan: same node, NUMA node, pins and score, and the
// same pass reports, over random fleets that change between decisions (claims, releases, liveness).

const shapeArb = fc.record({
  sockets: fc.integer({ min: 1, max: 3 }),
  coresPerSocket: fc.integer({ min: 1, max: 8 }),
  threadsPerCore: fc.constantFrom(1, 2),
  memoryMbPerNode: fc.integer({ min: 1, max: 64 }).map((gib) => gib * 1024),
});

const hostArb = (index: number) =>
  shapeArb.chain((shape) => {
    const threadIds = syntheticTopology(shape).numa_nodes.flatMap((n) => n.cpus.map((c) => c.id));
    return fc
      .record({
        alive: fc.integer({ min: 0, max: 5 }).map((n) => n > 0),
        reserved: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
        kvm: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
        hostReservedCpus: fc.subarray(threadIds, { maxLength: Math.ceil(threadIds.length / 4) }),
        hostReservedMemoryMb: fc.constantFrom(0, 512),
        images: fc.option(fc.subarray(['deb', 'alp']), { nil: undefined }),
      })
      .map(({ images, ...opts }) => ({
        ...syntheticHost({ ...shape, id: `host-${index}` }, opts),
        ...(images ? { images } : {}),
      }));
  });

const fleetArb = fc
  .integer({ min: 1, max: 12 })
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => hostArb(i))));

const requestArb = fc.record({
  vcpu_count: fc.integer({ min: 1, max: 12 }),
  memory_mb: fc.integer({ min: 64, max: 24576 }),
  cpu_policy: fc.constantFrom('dedicated' as const, 'shared' as const),
  requires_kvm: fc.boolean(),
  allow_reserved: fc.boolean(),
  anti_affinity_group: fc.option(fc.constantFrom('db', 'web'), { nil: undefined }),
  image: fc.option(fc.constantFrom('deb', 'alp'), { nil: undefined }),
});

type Step =
  | { kind: 'place'; request: Omit<PlacementRequest, 'vm_id'>; exclude: number }
  | { kind: 'flip'; node: number }
  | { kind: 'release'; node: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      request: requestArb,
      exclude: fc.integer({ min: -3, max: 11 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flip' as const), node: fc.nat(11) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), node: fc.nat(11) }) },
);

const configArb: fc.Arbitrary<PlacementConfig> = fc.record({
  ranking: fc.constantFrom('pack' as const, 'spread' as const),
  cpu_overcommit: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer(),
});

function replace(fleet: PlacementNode[], index: PlacementIndex, at: number, node: PlacementNode): void {
  fleet[at] = node;
  index.upsert(node);
}

function runBoth(start: PlacementNode[], steps: Step[], config: PlacementConfig, explain: boolean): number {
  const fleet = [...start];
  const index = new PlacementIndex();
  for (const n of fleet) index.upsert(n);
  let decided = 0;
  steps.forEach((step, i) => {
    const at = 'node' in step ? step.node % fleet.length : 0;
    if (step.kind === 'flip') {
      replace(fleet, index, at, { ...fleet[at]!, alive: !fleet[at]!.alive });
      return;
    }
    if (step.kind === 'release') {
      const node = fleet[at]!;
      replace(fleet, index, at, { ...node, allocations: node.allocations.slice(1) });
      return;
    }
    const request = { ...step.request, vm_id: `vm-${i}` };
    const exclude = new Set(step.exclude >= 0 ? [`host-${step.exclude}`] : []);
    const cfg = { ...config, seed: config.seed + i };
    const want = placeVm(fleet, request, cfg, { exclude });
    const got = index.place(request, cfg, { exclude, explain });
    if (explain || !want.ok) expect(got).toEqual(want);
    else expect(got.ok && got.decision).toEqual(want.decision);
    if (!want.ok) return;
    decided++;
    const target = fleet.findIndex((n) => n.id === want.decision.node_id);
    replace(
      fleet,
      index,
      target,
      withAllocation(fleet[target]!, allocationFromDecision(request, want.decision)),
    );
  });
  return decided;
}

describe('PlacementIndex decides exactly like the full scan', () => {
  it('same decisions over random changing fleets (decision only, as creates ask)', () => {
    fc.assert(
      fc.property(fleetArb, fc.array(stepArb, { maxLength: 60 }), configArb, (fleet, steps, config) => {
        runBoth(fleet, steps, config, false);
      }),
      { numRuns: 400 },
    );
  });

  it('same decisions and the same pass reports when explaining (dry runs, failures)', () => {
    fc.assert(
      fc.property(fleetArb, fc.array(stepArb, { maxLength: 40 }), configArb, (fleet, steps, config) => {
        runBoth(fleet, steps, config, true);
      }),
      { numRuns: 200 },
    );
  });

  it('places VMs at all in the generated fleets (the comparison is not vacuous)', () => {
    const fleet = fc.sample(fleetArb, { numRuns: 30, seed: 7 });
    const steps = fc.sample(fc.array(stepArb, { minLength: 30, maxLength: 30 }), { numRuns: 30, seed: 8 });
    const config = { ranking: 'pack' as const, cpu_overcommit: 2, seed: 1 };
    const decided = fleet.reduce((sum, f, i) => sum + runBoth(f, steps[i]!, config, false), 0);
    expect(decided).toBeGreaterThan(100);
  });
});
