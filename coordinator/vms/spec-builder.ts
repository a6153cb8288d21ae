import { posix } from 'node:path';
import type { SpawnSpec } from '../../shared/spec.js';
import { formatCpuList } from '../../shared/cpulist.js';
import type { Hello } from '../../shared/protocol.js';
import type { VmPlacement, VmRecord } from '../store/types.js';
import type { CreateVmRequest } from './schema.js';

/** domainName is the libvirt name of a tenant's VM: tenant ids hold no dash, so names never collide. */
export function domainName(tenant: string, name: string): string {
  return `${tenant}-${name}`;
}

/** buildSpawnSpec turns a claimed VM into the agent's seed-003 spawn spec, with paths under the node's images dir. */
export function buildSpawnSpec(
  vm: VmRecord,
  placement: VmPlacement,
  node: Pick<Hello, 'images_dir'>,
): SpawnSpec {
  const req = vm.request as CreateVmRequest;
  const dir = posix.join(node.images_dir, 'vms', vm.id);
  return {
    name: domainName(vm.tenant, vm.name),
    vcpu_count: placement.vcpu_count,
    memory_mb: placement.memory_mb,
    disk_path: posix.join(dir, 'root.qcow2'),
    disk_size_gb: req.disk_size_gb,
    base_image_path: posix.join(node.images_dir, 'base', `${req.image}.qcow2`),
    bridge_network_interface: req.network?.bridge ?? null,
    cloud_init_iso_path: posix.join(dir, 'seed.iso'),
    tuning: {
      vcpu_pins: placement.vcpu_pins.map(String),
      // a NUMA node without host-reserved threads keeps the emulator on the VM's own threads
      emulator_cpuset: formatCpuList(
        placement.emulator_cpuset.length ? placement.emulator_cpuset : placement.vcpu_pins,
      ),
      numa_memory: { nodeset: placement.memory_nodeset, mode: 'strict' },
    },
    user_configs: req.user_configs,
    vm_id: vm.id,
    vmid: vm.vmid,
    tenant: vm.tenant,
    extra_disks: req.extra_disks.map((d, i) => ({
      path: posix.join(dir, `data${i + 1}.qcow2`),
      size_gb: d.size_gb,
    })),
    cpu_policy: placement.cpu_policy,
    ...(req.cpu_mode ? { cpu_mode: req.cpu_mode } : {}),
  };
}
