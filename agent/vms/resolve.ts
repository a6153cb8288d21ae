import { join } from 'node:path';
import { VmpoolError } from '../../shared/errors.js';
import { formatCpuList } from '../../shared/cpulist.js';
import type { SpawnOrder } from '../../shared/protocol.js';
import { type SpawnSpec, SpawnSpecSchema } from '../../shared/spec.js';

/**
 * resolveSpawnOrder turns the coordinator's spawn order into the spec the agent runs, laying the
 * VM's files out under its own images dir. The local CLI's seed-003 spec (vmpool-agent spawn
 * --spec) is already this type, so both paths meet here before validation and the backend.
 */
export function resolveSpawnOrder(order: SpawnOrder, imagesDir: string): SpawnSpec & { vm_id: string } {
  const dir = join(imagesDir, 'vms', order.vm_id);
  const parsed = SpawnSpecSchema.safeParse({
    name: order.name,
    vcpu_count: order.vcpu_count,
    memory_mb: order.memory_mb,
    disk_path: join(dir, 'root.qcow2'),
    disk_size_gb: order.disk_size_gb,
    base_image_path: join(imagesDir, 'base', `${order.image}.qcow2`),
    bridge_network_interface: order.bridge,
    cloud_init_iso_path: join(dir, 'seed.iso'),
    tuning: {
      vcpu_pins: order.vcpu_pins.map(String),
      emulator_cpuset: formatCpuList(order.emulator_cpuset),
      numa_memory: { nodeset: String(order.numa_node), mode: 'strict' },
    },
    user_configs: order.users,
    vm_id: order.vm_id,
    vmid: order.vmid,
    tenant: order.tenant,
    extra_disks: order.extra_disks.map((d, i) => ({
      path: join(dir, `data${i + 1}.qcow2`),
      size_gb: d.size_gb,
    })),
    cpu_policy: order.cpu_policy,
    ...(order.cpu_mode ? { cpu_mode: order.cpu_mode } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VmpoolError(
      'bad_spawn_order',
      `Cannot resolve the spawn order: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? 'invalid'}`,
    );
  }
  return { ...parsed.data, vm_id: order.vm_id };
}
