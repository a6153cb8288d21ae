import type { CoordinatorMessage, SpawnOrder } from '../../shared/protocol.js';
import type { VmRecord } from '../store/types.js';
import { VmError } from './errors.js';
import type { CreateVmRequest } from './schema.js';
import { domainName } from './spec-builder.js';

/** SpawnMessage is the `spawn` message one placed VM becomes on the agent link. */
export type SpawnMessage = Extract<CoordinatorMessage, { type: 'spawn' }>;

/**
 * buildSpawnMessage turns a claimed VM into the spawn order its node receives: what the coordinator
 * decided (identity, image, sizes, placement, users, network) and no host paths; the agent lays
 * the files out under its own images dir.
 */
export function buildSpawnMessage(vm: VmRecord, opts: { requestId: string; traceId?: string }): SpawnMessage {
  const p = vm.placement;
  if (!p) throw new VmError('conflict', `Cannot spawn VM "${vm.name}": it holds no placement`);
  const req = vm.request as CreateVmRequest;
  const order: SpawnOrder = {
    vm_id: vm.id,
    vmid: vm.vmid,
    tenant: vm.tenant,
    name: domainName(vm.tenant, vm.name),
    image: req.image,
    vcpu_count: p.vcpu_count,
    memory_mb: p.memory_mb,
    disk_size_gb: req.disk_size_gb,
    extra_disks: req.extra_disks.map((d) => ({ size_gb: d.size_gb })),
    vcpu_pins: p.vcpu_pins,
    // a NUMA node without host-reserved threads keeps the emulator on the VM's own threads
    emulator_cpuset: p.emulator_cpuset.length ? p.emulator_cpuset : p.vcpu_pins,
    numa_node: p.numa_node,
    cpu_policy: p.cpu_policy,
    ...(req.cpu_mode ? { cpu_mode: req.cpu_mode } : {}),
    users: req.user_configs,
    bridge: req.network?.bridge ?? null,
  };
  return {
    type: 'spawn',
    request_id: opts.requestId,
    ...(opts.traceId ? { trace_id: opts.traceId } : {}),
    vm: order,
  };
}
