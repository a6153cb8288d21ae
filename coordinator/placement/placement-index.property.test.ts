import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocationFromDecision, placeVm } from './place.js';
import { PlacementIndex } from './placement-index.js';
import { withAllocation } from './testing.js';
import { configArb, fleetArb, requestArb } from './testing/arbitraries.js';
import type { PlacementConfig, PlacementNode, PlacementRequest } from './types.js';

// The index must decide exactly like the full scan: same node, NUMA node, pins and score, and the
// same pass reports, over random fleets that change between decisions (claims and releases applied
// in place or as new node objects, liveness flips, cordons, nodes that already refused the VM).

const MAX_NODES = 12;

type Step =
  | {
      kind: 'place';
      request: Omit<PlacementRequest, 'vm_id'>;
      exclude: number;
      cordon: number;
      /** inPlace applies the claim with index.claim; otherwise the node is upserted as a new object */
      inPlace: boolean;
    }
  | { kind: 'flip'; node: number }
  | { kind: 'release'; node: number; inPlace: boolean };

const nodeArb = fc.nat(MAX_NODES - 1);
const maybeNodeArb = fc.integer({ min: -3, max: MAX_NODES - 1 });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      request: requestArb,
      exclude: maybeNodeArb,
      cordon: maybeNodeArb,
      inPlace: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flip' as const), node: nodeArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('release' as const), node: nodeArb, inPlace: fc.boolean() }),
  },
);

function replace(fleet: PlacementNode[], index: PlacementIndex, at: number, node: PlacementNode): void {
  fleet[at] = node;
  index.upsert(node);
}

function release(fleet: PlacementNode[], index: PlacementIndex, at: number, inPlace: boolean): void {
  const node = fleet[at]!;
  const [first, ...rest] = node.allocations;
  if (!first) return;
  if (!inPlace) {
    replace(fleet, index, at, { ...node, allocations: rest });
    return;
  }
  fleet[at] = { ...node, allocations: rest };
  expect(index.release(node.id, first.vm_id)).toBe(true);
}

function runBoth(start: PlacementNode[], steps: Step[], config: PlacementConfig, explain: boolean): number {
  const fleet = [...start];
  const index = new PlacementIndex();
  for (const n of fleet) index.upsert(n);
  let decided = 0;
  steps.forEach((step, i) => {
    const at = 'node' in step ? step.node % fleet.length : 0;
    if (step.kind === 'flip') replace(fleet, index, at, { ...fleet[at]!, alive: !fleet[at]!.alive });
    if (step.kind === 'release') release(fleet, index, at, step.inPlace);
    if (step.kind !== 'place') return;
    const request = { ...step.request, vm_id: `vm-${i}` };
    const exclude = new Set(step.exclude >= 0 ? [`host-${step.exclude}`] : []);
    const cordoned = new Set(step.cordon >= 0 ? [`host-${step.cordon}`] : []);
    const cfg = { ...config, seed: config.seed + i };
    const want = placeVm(fleet, request, cfg, { exclude, cordoned });
    const got = index.place(request, cfg, { exclude, cordoned, explain });
    if (explain || !want.ok) expect(got).toEqual(want);
    else expect(got.ok && got.decision).toEqual(want.decision);
    if (!want.ok) return;
    decided++;
    const target = fleet.findIndex((n) => n.id === want.decision.node_id);
    const allocation = allocationFromDecision(request, want.decision);
    if (step.inPlace) {
      fleet[target] = withAllocation(fleet[target]!, allocation);
      index.claim(want.decision.node_id, allocation);
    } else replace(fleet, index, target, withAllocation(fleet[target]!, allocation));
  });
  expect(index.nodes()).toEqual(fleet);
  return decided;
}

describe('PlacementIndex decides exactly like the full scan', () => {
  it('same decisions over random changing fleets (decision only, as creates ask)', () => {
    fc.assert(
      fc.property(
        fleetArb(MAX_NODES),
        fc.array(stepArb, { maxLength: 60 }),
        configArb,
        (fleet, steps, config) => {
          runBoth(fleet, steps, config, false);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('same decisions and the same pass reports when explaining (dry runs, failures)', () => {
    fc.assert(
      fc.property(
        fleetArb(MAX_NODES),
        fc.array(stepArb, { maxLength: 40 }),
        configArb,
        (fleet, steps, config) => {
          runBoth(fleet, steps, config, true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('places VMs at all in the generated fleets (the comparison is not vacuous)', () => {
    const fleet = fc.sample(fleetArb(MAX_NODES), { numRuns: 30, seed: 7 });
    const steps = fc.sample(fc.array(stepArb, { minLength: 30, maxLength: 30 }), { numRuns: 30, seed: 8 });
    const config = { ranking: 'pack' as const, cpu_overcommit: 2, seed: 1 };
    const decided = fleet.reduce((sum, f, i) => sum + runBoth(f, steps[i]!, config, false), 0);
    expect(decided).toBeGreaterThan(100);
  });
});
