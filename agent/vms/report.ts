import { parseCpuList } from '../../shared/cpulist.js';
import type { VmReport } from '../../shared/protocol.js';
import type { Sidecar } from '../sidecar/schema.js';

/** reportOf turns a sidecar into the VM report sent in hello and heartbeats. */
export function reportOf(s: Sidecar): VmReport {
  const nodes = parseCpuList(s.spec.tuning.numa_memory.nodeset);
  return {
    vm_id: s.vm_id,
    name: s.name,
    ...(s.vmid !== undefined ? { vmid: s.vmid } : {}),
    ...(s.tenant !== undefined ? { tenant: s.tenant } : {}),
    state: s.observed_state,
    numa_node: nodes.length === 1 ? nodes[0]! : null,
    vcpu_pins: s.spec.tuning.vcpu_pins.map(Number),
    emulator_cpuset: parseCpuList(s.spec.tuning.emulator_cpuset),
    memory_mb: s.spec.memory_mb,
    vcpu_count: s.spec.vcpu_count,
    cpu_policy: s.spec.cpu_policy ?? 'dedicated',
    domain_uuid: s.domain_uuid,
    ...(s.failure ? { failure: s.failure } : {}),
  };
}
