import { describe, expect, it } from 'vitest';
import { seededHash, seededHashPrefix } from './hash.js';
import { NodeSlots } from './node-slots.js';
import { allocationFromDecision, placeVm } from './place.js';
import { PlacementIndex } from './placement-index.js';
import { seed003Host, smallRequest, withAllocation } from './testing.js';
import type { PlacementNode } from './types.js';

// NodeSlots hashes ids from flat code units, skipping the prefix all ids share: the value must be
// seededHash's for every id, however ids come and go (slots reused, the shared prefix shrinking,
// the code buffer compacted).

const slotHash = (slots: NodeSlots<unknown>, seed: number, slot: number): number =>
  slots.hash(slots.hashPrefix(seededHashPrefix(seed)), slot);

describe('NodeSlots', () => {
  it('hashes every id like seededHash as ids are taken, released and reused', () => {
    const slots = new NodeSlots<unknown>();
    const live = new Map<number, string>();
    const wrong: string[] = [];
    const ids = ['kvm-0001', 'kvm-0002', 'kvm-0010', 'kvm-1', 'k', 'rack2-host-ü', ''];
    for (let round = 0; round < 400; round++) {
      const id = `${ids[round % ids.length]}${round % 3 === 0 ? '' : round}`;
      const slot = slots.take(id);
      expect(live.has(slot), `slot ${slot} is free when taken`).toBe(false);
      live.set(slot, id);
      if (round % 4 === 3) {
        const [gone] = [...live.keys()].slice(round % live.size);
        slots.release(gone!);
        live.delete(gone!);
      }
      for (const seed of [0, 7, 123456]) {
        for (const [s, liveId] of live)
          if (slotHash(slots, seed, s) !== seededHash(seed, liveId)) wrong.push(`${liveId} seed ${seed}`);
      }
    }
    expect(wrong).toEqual([]);
    // released slots were reused, so the slot numbers stay near the live count
    expect(Math.max(...live.keys())).toBeLessThan(live.size * 2 + 2);
  });

  it('numbers searches so a new one never matches an old mark', () => {
    const slots = new NodeSlots<unknown>();
    const a = slots.nextRun();
    const b = slots.nextRun();
    expect(a).toBeGreaterThan(0);
    expect(b).not.toBe(a);
  });
});

describe('PlacementIndex with nodes removed and added under other names', () => {
  it('decides like the exhaustive scan while the fleet changes and its ids share less', () => {
    let fleet: PlacementNode[] = Array.from({ length: 30 }, (_, i) => seed003Host(`rack-a-${i}`));
    const index = new PlacementIndex();
    for (const n of fleet) index.upsert(n);
    for (let i = 0; i < 200; i++) {
      if (i % 10 === 5) {
        // one node leaves, another joins under a name that shortens the ids' shared prefix
        const gone = fleet[i % fleet.length]!;
        index.remove(gone.id);
        const added = seed003Host(i % 20 === 5 ? `rack-b-${i}` : `r${i}`);
        fleet = [...fleet.filter((n) => n !== gone), added];
        index.upsert(added);
      }
      const config = {
        ranking: i % 3 === 0 ? ('spread' as const) : ('pack' as const),
        cpu_overcommit: 1,
        seed: i,
      };
      const want = placeVm(fleet, smallRequest(i), config);
      const got = index.place(smallRequest(i), config);
      expect(want.ok, `decision ${i} fits`).toBe(true);
      expect(got.ok && got.decision, `decision ${i}`).toEqual(want.ok && want.decision);
      if (!want.ok) continue;
      const at = fleet.findIndex((n) => n.id === want.decision.node_id);
      const claim = allocationFromDecision(smallRequest(i), want.decision);
      fleet[at] = withAllocation(fleet[at]!, claim);
      index.claim(want.decision.node_id, claim);
    }
  });
});
