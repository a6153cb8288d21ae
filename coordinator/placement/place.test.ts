import { describe, expect, it } from 'vitest';
import { allocationFromDecision, placeVm } from './place.js';
import { seed003Host, syntheticHost, withAllocation } from './testing.js';
import {
  DEFAULT_PLACEMENT_CONFIG,
  type PlacementConfig,
  type PlacementNode,
  type PlacementRequest,
} from './types.js';

function dedicated(vm_id: string, vcpu_count: number, memory_mb: number): PlacementRequest {
  return { vm_id, vcpu_count, memory_mb, cpu_policy: 'dedicated', requires_kvm: true, allow_reserved: false };
}

function pairs(first: number, last: number): number[] {
  const pins: number[] = [];
  for (let t = first; t <= last; t++) pins.push(t, t + 36);
  return pins;
}

/** placeInOrder places each request and adds its allocation to the chosen node before the next. */
function placeInOrder(
  fleet: PlacementNode[],
  requests: PlacementRequest[],
  config = DEFAULT_PLACEMENT_CONFIG,
) {
  let nodes = fleet;
  return requests.map((request) => {
    const result = placeVm(nodes, request, config);
    if (result.ok) {
      const allocation = allocationFromDecision(request, result.decision);
      nodes = nodes.map((n) => (n.id === result.decision.node_id ? withAllocation(n, allocation) : n));
    }
    return result;
  });
}

describe('placeVm on the seed-003 host', () => {
  it('reproduces the seed pins, emulator cpusets and nodesets for VM1-VM4 exactly', () => {
    const results = placeInOrder(
      [seed003Host('seed')],
      [
        dedicated('vm1', 32, 120832),
        dedicated('vm2', 12, 61440),
        dedicated('vm3', 8, 32768),
        dedicated('vm4', 12, 24576),
      ],
    );
    const decisions = results.map((r) => (r.ok ? r.decision : undefined));
    expect(decisions.map((d) => d?.vcpu_pins)).toEqual([
      pairs(0, 15),
      pairs(18, 23),
      pairs(24, 27),
      pairs(28, 33),
    ]);
    expect(decisions.map((d) => d?.emulator_cpuset)).toEqual([
      [16, 17, 52, 53],
      [34, 35, 70, 71],
      [34, 35, 70, 71],
      [34, 35, 70, 71],
    ]);
    expect(decisions.map((d) => d?.memory_nodeset)).toEqual(['0', '1', '1', '1']);
    expect(decisions.every((d) => d?.memory_mode === 'strict' && d.pass === 1 && d.node_id === 'seed')).toBe(
      true,
    );
  });

  it('rejects a fifth VM once every non-reserved thread is pinned', () => {
    const base = [dedicated('vm1', 32, 120832), dedicated('vm2', 12, 61440), dedicated('vm3', 8, 32768)];
    const results = placeInOrder(
      [seed003Host('seed')],
      [...base, dedicated('vm4', 12, 24576), dedicated('vm5', 4, 1024)],
    );
    const last = results[4]!;
    expect(last.ok).toBe(false);
    expect(last.passes[0]!.rejected).toEqual([
      { node_id: 'seed', reason: 'capacity_vcpu', detail: 'node has 0 free threads, 4 needed' },
    ]);
  });
});

describe('placeVm two passes', () => {
  const reserved = seed003Host('reserved', { reserved: true });
  const full = seed003Host('full', { kvm: false });
  const request = dedicated('vm', 4, 1024);

  it('never runs pass 2 when pass 1 has a candidate', () => {
    const result = placeVm([reserved, seed003Host('open')], { ...request, allow_reserved: true });
    expect(result.ok && result.decision.node_id).toBe('open');
    expect(result.passes.map((p) => p.ran)).toEqual([true, false]);
    expect(result.passes[0]!.rejected).toEqual([
      { node_id: 'reserved', reason: 'reserved_node', detail: 'node is reserved; only pass 2 uses it' },
    ]);
  });

  it('widens to reserved nodes in pass 2 when pass 1 has no candidate and the request allows it', () => {
    const result = placeVm([reserved, full], { ...request, allow_reserved: true });
    expect(result.ok && result.decision).toMatchObject({ node_id: 'reserved', pass: 2 });
    expect(result.passes[0]!.rejected.map((r) => [r.node_id, r.reason])).toEqual([
      ['reserved', 'reserved_node'],
      ['full', 'kvm_required'],
    ]);
    expect(result.passes[1]).toMatchObject({ pass: 2, ran: true, candidates: ['reserved'] });
    expect(result.passes[1]!.rejected.map((r) => [r.node_id, r.reason])).toEqual([['full', 'kvm_required']]);
  });

  it('never runs pass 2 when the request does not allow reserved nodes', () => {
    const result = placeVm([reserved, full], request);
    expect(result.ok).toBe(false);
    expect(result.passes[1]).toMatchObject({
      pass: 2,
      ran: false,
      candidate_count: 0,
      reasons: {},
      candidates: [],
      rejected: [],
    });
  });

  it('fails with every node listed in both passes when nothing fits anywhere', () => {
    const result = placeVm([reserved, full], { ...request, vcpu_count: 40, allow_reserved: true });
    expect(result.ok).toBe(false);
    expect(result.passes.map((p) => p.rejected.map((r) => `${r.node_id}:${r.reason}`))).toEqual([
      ['reserved:reserved_node', 'full:kvm_required'],
      ['reserved:numa_cpu_fit', 'full:kvm_required'],
    ]);
  });
});

describe('placeVm ranking', () => {
  const busy = seed003Host('busy', {
    allocations: [{ vm_id: 'x', numa_node: 0, pins: pairs(0, 9), memory_mb: 1024, cpu_policy: 'dedicated' }],
  });
  const idle = seed003Host('idle');
  const request = dedicated('vm', 4, 1024);

  it.each([
    ['pack', 'busy', 0, 40],
    ['spread', 'idle', 0, 60],
  ] as const)(
    '%s picks node %s, NUMA node %i, and scores the threads left',
    (ranking, nodeId, numa, score) => {
      const config: PlacementConfig = { ...DEFAULT_PLACEMENT_CONFIG, ranking };
      const result = placeVm([idle, busy], request, config);
      expect(result.ok && result.decision).toMatchObject({ node_id: nodeId, numa_node: numa, score });
    },
  );

  it('pack fills the fuller NUMA node of a node first', () => {
    const host = seed003Host('h', {
      allocations: [
        { vm_id: 'x', numa_node: 1, pins: pairs(18, 19), memory_mb: 1024, cpu_policy: 'dedicated' },
      ],
    });
    const result = placeVm([host], request);
    expect(result.ok && result.decision.vcpu_pins).toEqual([20, 56, 21, 57]);
  });

  it('prefers KVM nodes when KVM is optional, even over a fuller TCG node under pack', () => {
    const tcg = seed003Host('tcg', { kvm: false, allocations: busy.allocations });
    const result = placeVm([tcg, idle], { ...request, requires_kvm: false });
    expect(result.ok && result.decision.node_id).toBe('idle');
  });

  it('places on a TCG node when KVM is optional and no KVM node fits', () => {
    const result = placeVm([seed003Host('tcg', { kvm: false })], { ...request, requires_kvm: false });
    expect(result.ok && result.decision.node_id).toBe('tcg');
  });

  it('breaks ties by the seeded hash, the same way every time for one seed', () => {
    const fleet = Array.from({ length: 8 }, (_, i) => seed003Host(`n${i}`));
    const chosen = (seed: number) => {
      const r = placeVm(fleet, request, { ...DEFAULT_PLACEMENT_CONFIG, seed });
      return r.ok ? r.decision.node_id : undefined;
    };
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(seeds.map(chosen)).toEqual(seeds.map(chosen));
    expect(new Set(seeds.map(chosen)).size).toBeGreaterThan(1);
  });

  it('returns deeply equal results for the same input and seed', () => {
    const fleet = [busy, idle, seed003Host('r', { reserved: true })];
    expect(placeVm(fleet, request, { ...DEFAULT_PLACEMENT_CONFIG, seed: 42 })).toEqual(
      placeVm(fleet, request, { ...DEFAULT_PLACEMENT_CONFIG, seed: 42 }),
    );
  });
});

describe('placeVm anti-affinity', () => {
  it('keeps two members of a group on different nodes and fails when every node holds one', () => {
    const member = (vm_id: string) => ({ ...dedicated(vm_id, 2, 1024), anti_affinity_group: 'db' });
    const results = placeInOrder(
      [seed003Host('a'), seed003Host('b')],
      [member('m1'), member('m2'), member('m3')],
    );
    const [first, second, third] = results;
    expect(first!.ok && second!.ok && first!.decision.node_id !== second!.decision.node_id).toBe(true);
    expect(third!.ok).toBe(false);
    expect(third!.passes[0]!.rejected.map((r) => r.reason)).toEqual(['anti_affinity', 'anti_affinity']);
    expect(third!.passes[0]!.rejected[0]!.detail).toMatch(/^node already holds VM "m[12]" of group "db"$/);
  });
});

describe('placeVm shared CPUs', () => {
  const small = { sockets: 1, coresPerSocket: 2, threadsPerCore: 2, memoryMbPerNode: 65536 };
  const shared = (vm_id: string, vcpu_count: number): PlacementRequest => ({
    ...dedicated(vm_id, vcpu_count, 1024),
    cpu_policy: 'shared',
  });

  it('spreads vCPUs round-robin from the least loaded thread and stops at the overcommit ratio', () => {
    const config = { ...DEFAULT_PLACEMENT_CONFIG, cpu_overcommit: 2 };
    const results = placeInOrder(
      [syntheticHost(small)],
      [shared('s1', 3), shared('s2', 3), shared('s3', 3)],
      config,
    );
    const pins = results.map((r) => (r.ok ? r.decision.vcpu_pins : r.passes[0]!.rejected[0]!.reason));
    expect(pins).toEqual([[0, 1, 2], [3, 0, 1], 'capacity_vcpu']);
  });

  it('never shares a thread a dedicated VM holds', () => {
    const host = syntheticHost(small, {
      allocations: [{ vm_id: 'd', numa_node: 0, pins: [0, 2], memory_mb: 1024, cpu_policy: 'dedicated' }],
    });
    const result = placeVm([host], shared('s', 4));
    expect(result.ok && result.decision.vcpu_pins).toEqual([1, 3, 1, 3]);
  });

  it('keeps dedicated VMs off threads shared VMs use', () => {
    const host = syntheticHost(small, {
      allocations: [{ vm_id: 's', numa_node: 0, pins: [0], memory_mb: 1024, cpu_policy: 'shared' }],
    });
    const result = placeVm([host], dedicated('d', 3, 1024));
    expect(result.ok && result.decision.vcpu_pins).toEqual([1, 3, 2]);
  });
});

describe('placeVm input checks', () => {
  it.each([
    ['zero vCPUs', { vcpu_count: 0 }, DEFAULT_PLACEMENT_CONFIG],
    ['fractional vCPUs', { vcpu_count: 1.5 }, DEFAULT_PLACEMENT_CONFIG],
    ['negative memory', { memory_mb: -1 }, DEFAULT_PLACEMENT_CONFIG],
    ['zero overcommit', {}, { ...DEFAULT_PLACEMENT_CONFIG, cpu_overcommit: 0 }],
  ])('throws invalid_placement_request for %s', (_name, patch, config) => {
    expect(() => placeVm([seed003Host('h')], { ...dedicated('vm', 2, 1024), ...patch }, config)).toThrow(
      expect.objectContaining({ code: 'invalid_placement_request', name: 'PlacementError' }),
    );
  });
});
