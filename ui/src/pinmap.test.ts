import { describe, expect, it } from 'vitest';
import type { NodeDetail, NodeThread } from '../../api/fleet.js';
import type { VmView } from '../../api/vms.js';
import { cores, describe as describeThread, holders, vmKeys } from './pinmap.js';

// One socket, one NUMA node, 4 cores × 2 threads (siblings t and t+4); threads 3 and 7 host-reserved.
const thread = (id: number, vms: string[] = []): NodeThread => ({
  id,
  core_id: id % 4,
  socket_id: 0,
  siblings: [id % 4, (id % 4) + 4],
  host_reserved: id % 4 === 3,
  vms,
});
const node = {
  id: 'n1',
  numa_nodes: [
    {
      id: 0,
      memory_mb: 8192,
      threads: [0, 1, 2, 3, 4, 5, 6, 7].map((t) => thread(t, t === 0 || t === 4 ? ['web'] : [])),
    },
  ],
} as unknown as NodeDetail;
const vm = (over: Partial<VmView>): VmView =>
  ({ name: 'web', node_id: 'n1', vcpu_pins: [0, 4], emulator_cpuset: [3, 7], ...over }) as VmView;

describe('pin map', () => {
  it('classifies threads as VM vCPU, emulator, host-reserved or free, with vCPU numbers in pin order', () => {
    const hs = holders(node, [vm({})]);
    const byId = new Map(hs.map((h) => [h.thread.id, h]));
    expect(byId.get(0)).toMatchObject({ kind: 'vm', vcpus: [{ vm: 'web', vcpu: 0 }] });
    expect(byId.get(4)).toMatchObject({ kind: 'vm', vcpus: [{ vm: 'web', vcpu: 1 }] });
    expect(byId.get(3)).toMatchObject({ kind: 'emulator', emulatorOf: ['web'] });
    expect(byId.get(1)).toMatchObject({ kind: 'free', vcpus: [], emulatorOf: [] });
    expect(describeThread(byId.get(4)!)).toBe('Thread 4 (socket 0, NUMA 0, core 0): web vCPU 1');
    expect(describeThread(byId.get(3)!)).toBe('Thread 3 (socket 0, NUMA 0, core 3): emulator threads of web');
  });

  it('marks host-reserved threads no VM uses, and names a VM the caller cannot list from the node', () => {
    const hs = holders(node, []);
    expect(hs.find((h) => h.thread.id === 7)).toMatchObject({ kind: 'reserved' });
    // the node detail still names the holder: vCPU unknown (-1), shown by name only
    expect(hs.find((h) => h.thread.id === 0)).toMatchObject({ kind: 'vm', vcpus: [{ vm: 'web', vcpu: -1 }] });
    expect(describeThread(hs.find((h) => h.thread.id === 7)!)).toMatch(/: host-reserved$/);
  });

  it('ignores VMs on other nodes', () => {
    const hs = holders(node, [vm({ node_id: 'n2', name: 'other', vcpu_pins: [1] })]);
    expect(hs.find((h) => h.thread.id === 1)!.kind).toBe('free');
  });

  it('groups sibling threads into cores in socket, NUMA and core order', () => {
    const cs = cores(holders(node, [vm({})]));
    expect(cs.map((c) => [c.core, c.threads.map((t) => t.thread.id)])).toEqual([
      [0, [0, 4]],
      [1, [1, 5]],
      [2, [2, 6]],
      [3, [3, 7]],
    ]);
  });

  it('gives each VM a stable letter key', () => {
    const keys = vmKeys(holders(node, [vm({}), vm({ name: 'db', vcpu_pins: [1], emulator_cpuset: [] })]));
    expect([...keys]).toEqual([
      ['db', 'A'],
      ['web', 'B'],
    ]);
  });
});
