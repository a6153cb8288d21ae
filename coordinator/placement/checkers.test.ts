import { describe, expect, it } from 'vitest';
import {
  antiAffinity,
  type CheckContext,
  type FeasibilityCheck,
  kvmCapable,
  memoryCeiling,
  nodeAlive,
  notCordoned,
  notReserved,
  numaCpuFit,
  numaMemoryFit,
  runChecks,
  vcpuCeiling,
} from './checkers.js';
import { seed003Host } from './testing.js';
import { DEFAULT_PLACEMENT_CONFIG, type PlacementNode, type PlacementRequest } from './types.js';
import { nodeView } from './view.js';

const request: PlacementRequest = {
  vm_id: 'vm',
  vcpu_count: 12,
  memory_mb: 61440,
  cpu_policy: 'dedicated',
  requires_kvm: true,
  allow_reserved: false,
};

function ctx(node: PlacementNode, pass: 1 | 2 = 1, cpu_overcommit = 4): CheckContext {
  return { pass, config: { ...DEFAULT_PLACEMENT_CONFIG, cpu_overcommit }, view: () => nodeView(node) };
}

function threads(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

// node0 keeps 8 free threads (8-15); node1 keeps 32 free threads and 40960 MiB.
const lopsided = seed003Host('lopsided', {
  allocations: [
    {
      vm_id: 'a',
      numa_node: 0,
      pins: [...threads(0, 7), ...threads(36, 51)],
      memory_mb: 1024,
      cpu_policy: 'dedicated',
    },
    {
      vm_id: 'b',
      numa_node: 1,
      pins: [],
      memory_mb: 90112,
      cpu_policy: 'dedicated',
      anti_affinity_group: 'db',
    },
  ],
});
const shared = seed003Host('shared', {
  allocations: [{ vm_id: 's', numa_node: 0, pins: threads(0, 15), memory_mb: 1024, cpu_policy: 'shared' }],
});

describe.each<[string, FeasibilityCheck, PlacementNode, Partial<PlacementRequest>, 1 | 2, string | true]>([
  ['nodeAlive', nodeAlive, seed003Host('n'), {}, 1, true],
  [
    'nodeAlive',
    nodeAlive,
    seed003Host('n', { alive: false }),
    {},
    1,
    'node_down: node is down (missed heartbeats)',
  ],
  [
    'notReserved',
    notReserved,
    seed003Host('n', { reserved: true }),
    {},
    1,
    'reserved_node: node is reserved; only pass 2 uses it',
  ],
  ['notReserved', notReserved, seed003Host('n', { reserved: true }), {}, 2, true],
  [
    'kvmCapable',
    kvmCapable,
    seed003Host('n', { kvm: false }),
    {},
    1,
    'kvm_required: node has no usable KVM, request requires it',
  ],
  ['kvmCapable', kvmCapable, seed003Host('n', { kvm: false }), { requires_kvm: false }, 1, true],
  ['vcpuCeiling', vcpuCeiling, lopsided, { vcpu_count: 40 }, 1, true],
  [
    'vcpuCeiling',
    vcpuCeiling,
    lopsided,
    { vcpu_count: 41 },
    1,
    'capacity_vcpu: node has 40 free threads, 41 needed',
  ],
  [
    'vcpuCeiling',
    vcpuCeiling,
    shared,
    { vcpu_count: 241, cpu_policy: 'shared' },
    1,
    'capacity_vcpu: node has 240 free shared vCPU slots, 241 needed',
  ],
  [
    'memoryCeiling',
    memoryCeiling,
    lopsided,
    { memory_mb: 171009 },
    1,
    'capacity_memory: node has 171008 MiB free, 171009 MiB needed',
  ],
  ['memoryCeiling', memoryCeiling, lopsided, { memory_mb: 171008 }, 1, true],
  ['numaCpuFit', numaCpuFit, lopsided, { vcpu_count: 32 }, 1, true],
  [
    'numaCpuFit',
    numaCpuFit,
    lopsided,
    { vcpu_count: 33 },
    1,
    'numa_cpu_fit: no NUMA node has 33 free threads (node 0 has 8, node 1 has 32)',
  ],
  [
    'numaCpuFit',
    numaCpuFit,
    shared,
    { vcpu_count: 129, cpu_policy: 'shared' },
    1,
    'numa_cpu_fit: no NUMA node has 129 free shared vCPU slots (node 0 has 112, node 1 has 128)',
  ],
  ['numaMemoryFit', numaMemoryFit, lopsided, { vcpu_count: 8, memory_mb: 130048 }, 1, true],
  [
    'numaMemoryFit',
    numaMemoryFit,
    lopsided,
    { vcpu_count: 12, memory_mb: 40961 },
    1,
    'numa_memory_fit: NUMA nodes with the vCPUs (1) have at most 40960 MiB free, 40961 MiB needed',
  ],
  ['antiAffinity', antiAffinity, lopsided, { anti_affinity_group: 'web' }, 1, true],
  [
    'antiAffinity',
    antiAffinity,
    lopsided,
    { anti_affinity_group: 'db' },
    1,
    'anti_affinity: node already holds VM "b" of group "db"',
  ],
])('%s', (_name, check, node, patch, pass, expected) => {
  it(`gives ${expected === true ? 'true' : expected.split(':')[0]} for ${JSON.stringify(patch)} in pass ${pass}`, () => {
    const verdict = check(node, { ...request, ...patch }, ctx(node, pass));
    expect(verdict === true ? true : `${verdict.reason}: ${verdict.detail}`).toBe(expected);
  });
});

describe('notCordoned', () => {
  const node = seed003Host('n');
  it('rejects a node the admin cordoned, with its own reason', () => {
    const verdict = notCordoned(node, request, { ...ctx(node), cordoned: new Set(['n']) });
    expect(verdict).toEqual({
      reason: 'cordoned',
      detail: 'node is cordoned by the admin: no new placements',
    });
  });

  it('accepts it when no cordon names it', () => {
    expect(notCordoned(node, request, ctx(node))).toBe(true);
    expect(notCordoned(node, request, { ...ctx(node), cordoned: new Set(['other']) })).toBe(true);
  });
});

describe('runChecks', () => {
  it('says cordoned after node_down and before every other reason', () => {
    const cordoned = new Set(['n']);
    const down = seed003Host('n', { alive: false });
    const reserved = seed003Host('n', { reserved: true, kvm: false });
    expect(runChecks(down, request, { ...ctx(down), cordoned })).toMatchObject({ reason: 'node_down' });
    expect(runChecks(reserved, request, { ...ctx(reserved), cordoned })).toMatchObject({
      reason: 'cordoned',
    });
  });

  it('reports the first failing check of the chain', () => {
    const down = seed003Host('n', { alive: false, reserved: true, kvm: false });
    expect(runChecks(down, request, ctx(down))).toMatchObject({ reason: 'node_down' });
  });

  it('never builds the node view when a cheap flag check already rejects', () => {
    const down = seed003Host('n', { alive: false });
    let built = 0;
    const counting: CheckContext = {
      ...ctx(down),
      view: () => {
        built++;
        return nodeView(down);
      },
    };
    runChecks(down, request, counting);
    expect(built).toBe(0);
  });
});
