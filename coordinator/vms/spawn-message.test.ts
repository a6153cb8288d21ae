import { describe, expect, it } from 'vitest';
import { SpawnSchema } from '../../shared/protocol.js';
import type { VmPlacement, VmRecord } from '../store/types.js';
import { CreateVmSchema } from './schema.js';
import { buildSpawnMessage } from './spawn-message.js';

const PLACEMENT: VmPlacement = {
  numa_node: 1,
  vcpu_pins: [18, 54],
  emulator_cpuset: [34, 70],
  memory_nodeset: '1',
  cpu_policy: 'dedicated',
  memory_mb: 2048,
  vcpu_count: 2,
  pass: 1,
};

function record(placement: VmPlacement | null, request: Record<string, unknown> = {}): VmRecord {
  return {
    id: 'vm-1',
    tenant: 'acme',
    name: 'web-1',
    vmid: 1201,
    tags: [],
    request: CreateVmSchema.parse({
      name: 'web-1',
      vcpu_count: 2,
      memory_mb: 2048,
      disk_size_gb: 20,
      image: 'debian-12',
      ...request,
    }),
    state: 'creating',
    node_id: 'n1',
    placement,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  } as VmRecord;
}

describe('buildSpawnMessage', () => {
  it('carries what placement decided and no host paths, and passes the wire schema', () => {
    const msg = buildSpawnMessage(record(PLACEMENT, { extra_disks: [{ size_gb: 5 }] }), { requestId: 'r-1' });
    expect(SpawnSchema.parse(msg)).toEqual(msg);
    expect(msg.vm).toMatchObject({
      vm_id: 'vm-1',
      vmid: 1201,
      tenant: 'acme',
      name: 'acme-web-1',
      image: 'debian-12',
      disk_size_gb: 20,
      extra_disks: [{ size_gb: 5 }],
      vcpu_pins: [18, 54],
      emulator_cpuset: [34, 70],
      numa_node: 1,
      bridge: null,
    });
    expect(JSON.stringify(msg)).not.toMatch(/qcow2|\.iso|\/var\//);
  });

  it('keeps the emulator on the VM threads when the node has no reserved threads there', () => {
    const msg = buildSpawnMessage(record({ ...PLACEMENT, emulator_cpuset: [] }), { requestId: 'r-2' });
    expect(msg.vm.emulator_cpuset).toEqual([18, 54]);
  });

  it('refuses a record without a placement with conflict', () => {
    expect(() => buildSpawnMessage(record(null), { requestId: 'r-3' })).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
  });
});
