import { describe, expect, it } from 'vitest';
import { allocationFromDecision, placeVm } from './place.js';
import { PlacementIndex } from './placement-index.js';
import { seed003Host, smallRequest, withAllocation } from './testing.js';
import type { Decision, PlacementNode, PlacementResult } from './types.js';

// The wide tie the creates bench hits: many equally empty nodes (each filed under both NUMA nodes
// in one cell), so every node that fills sends the next decision through the seeded tie-break over
// all of them. GridSearch looks at each node once per search; the decisions must stay the scan's.

const decisionOf = (r: PlacementResult): Decision | undefined => (r.ok ? r.decision : undefined);

describe('GridSearch over a fleet of identical empty nodes', () => {
  it('decides like the exhaustive scan, seed after seed, as nodes fill', () => {
    const fleet: PlacementNode[] = Array.from({ length: 40 }, (_, i) => seed003Host(`n-${i}`));
    const index = new PlacementIndex();
    for (const n of fleet) index.upsert(n);
    const other = new PlacementIndex(); // a second index searching in between must not disturb the first
    for (const n of fleet) other.upsert(n);
    const chosen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const config = { ranking: 'pack' as const, cpu_overcommit: 1, seed: 7 + i };
      const want = decisionOf(placeVm(fleet, smallRequest(i), config));
      other.place(smallRequest(i), config);
      const got = decisionOf(index.place(smallRequest(i), config));
      expect(want, `decision ${i} fits`).toBeDefined();
      expect(got, `decision ${i}`).toEqual(want);
      const at = fleet.findIndex((n) => n.id === want!.node_id);
      fleet[at] = withAllocation(fleet[at]!, allocationFromDecision(smallRequest(i), want!));
      index.claim(want!.node_id, allocationFromDecision(smallRequest(i), want!));
      chosen.add(want!.node_id);
    }
    // the tie-break really ran: the fills went to several nodes, not the first in id order only
    expect(chosen.size).toBeGreaterThan(5);
    const firstById = fleet
      .map((n) => n.id)
      .sort()
      .slice(0, chosen.size);
    expect([...chosen].sort()).not.toEqual(firstById);
  });
});
