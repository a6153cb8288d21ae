import { describe, expect, it } from 'vitest';
import type { SpawnOrder } from '../../shared/protocol.js';
import { resolveSpawnOrder } from './resolve.js';

const ORDER: SpawnOrder = {
  vm_id: 'vm-7',
  vmid: 1207,
  tenant: 'acme',
  name: 'acme-db-1',
  image: 'debian-12',
  vcpu_count: 2,
  memory_mb: 1024,
  disk_size_gb: 10,
  extra_disks: [{ size_gb: 50 }, { size_gb: 200 }],
  vcpu_pins: [0, 36],
  emulator_cpuset: [16, 17, 52, 53],
  numa_node: 0,
  cpu_policy: 'dedicated',
  users: [],
  bridge: 'br0',
};

describe('resolveSpawnOrder', () => {
  it('lays the VM out under the agent images dir in the seed-003 spec form', () => {
    expect(resolveSpawnOrder(ORDER, '/srv/images')).toEqual({
      name: 'acme-db-1',
      vcpu_count: 2,
      memory_mb: 1024,
      disk_path: '/srv/images/vms/vm-7/root.qcow2',
      disk_size_gb: 10,
      base_image_path: '/srv/images/base/debian-12.qcow2',
      bridge_network_interface: 'br0',
      cloud_init_iso_path: '/srv/images/vms/vm-7/seed.iso',
      tuning: {
        vcpu_pins: ['0', '36'],
        emulator_cpuset: '16-17,52-53',
        numa_memory: { nodeset: '0', mode: 'strict' },
      },
      user_configs: [],
      vm_id: 'vm-7',
      vmid: 1207,
      tenant: 'acme',
      extra_disks: [
        { path: '/srv/images/vms/vm-7/data1.qcow2', size_gb: 50 },
        { path: '/srv/images/vms/vm-7/data2.qcow2', size_gb: 200 },
      ],
      cpu_policy: 'dedicated',
    });
  });

  it('refuses an order whose pins do not match its vCPU count with bad_spawn_order', () => {
    expect(() => resolveSpawnOrder({ ...ORDER, vcpu_pins: [0] }, '/srv/images')).toThrow(
      expect.objectContaining({ code: 'bad_spawn_order' }),
    );
  });
});
