import { describe, expect, it } from 'vitest';
import type { VmRecord } from '../store/index.js';
import { allocationOf } from './records.js';

const record = (id: string): VmRecord => ({
  id,
  tenant: 't',
  name: `n-${id}`,
  vmid: 100,
  tags: [],
  request: { vcpu_count: 2, memory_mb: 512 },
  state: 'running',
  node_id: 'n1',
  placement: {
    numa_node: 0,
    vcpu_pins: [3, 4],
    emulator_cpuset: [],
    memory_nodeset: '0',
    cpu_policy: 'dedicated',
    memory_mb: 512,
    vcpu_count: 2,
    pass: 1,
  },
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
});

describe('allocationOf', () => {
  it('is the same object while the claim is, a new one when the claim object is replaced', () => {
    const vm = record('a');
    const first = allocationOf(vm);
    expect(first).toEqual({
      vm_id: 'a',
      numa_node: 0,
      pins: [3, 4],
      memory_mb: 512,
      cpu_policy: 'dedicated',
      anti_affinity_group: undefined,
    });
    expect(allocationOf(vm)).toBe(first);
    const moved = { ...vm, placement: { ...vm.placement!, vcpu_pins: [5, 6] } };
    expect(allocationOf(moved)).not.toBe(first);
    expect(allocationOf(moved)?.pins).toEqual([5, 6]);
  });

  it('leaves no trace in the record: not stored, copied or compared', () => {
    const vm = record('a');
    const before = JSON.stringify(vm);
    allocationOf(vm);
    expect(JSON.stringify(vm)).toBe(before);
    expect(Object.keys(vm.placement!)).toEqual(Object.keys(record('a').placement!));
    expect({ ...vm.placement! }).toEqual(record('a').placement);
    expect(structuredClone(vm)).toEqual(record('a'));
  });

  it('a claim shared by another VM id is not taken for its own', () => {
    const a = record('a');
    const b = { ...record('b'), placement: a.placement };
    expect(allocationOf(a)?.vm_id).toBe('a');
    expect(allocationOf(b)?.vm_id).toBe('b');
  });

  it('a frozen claim is read each time, never written', () => {
    const vm = record('a');
    Object.freeze(vm.placement);
    expect(allocationOf(vm)?.pins).toEqual([3, 4]);
    expect(Object.getOwnPropertySymbols(vm.placement!)).toEqual([]);
  });
});
