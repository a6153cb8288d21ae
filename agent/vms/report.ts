import { parseCpuList } from '../../shared/cpulist.js';
import type { VmNetwork, VmReport } from '../../shared/protocol.js';
import type { SpawnSpec } from '../../shared/spec.js';
import type { Sidecar } from '../sidecar/schema.js';

/** reportOf turns a sidecar into the VM report sent in hello and heartbeats. */
export function reportOf(s: Sidecar): VmReport {
  return {
    ...queuedReport({ ...s.spec, vm_id: s.vm_id }),
    ...(s.vmid !== undefined ? { vmid: s.vmid } : {}),
    ...(s.tenant !== undefined ? { tenant: s.tenant } : {}),
    state: s.observed_state,
    domain_uuid: s.domain_uuid,
    ...(s.failure ? { failure: s.failure } : {}),
    ...(s.network ? { network: networkOf(s.network) } : {}),
  };
}

/** networkOf says how to reach a VM: on user networking SSH is the loopback forward, else the first address. */
export function networkOf(n: NonNullable<Sidecar['network']>): VmNetwork {
  const first = n.addresses[0];
  const ssh =
    n.ssh_port !== undefined
      ? { host: '127.0.0.1', port: n.ssh_port }
      : first !== undefined
        ? { host: first, port: 22 }
        : null;
  return { mac: n.mac, addresses: [...n.addresses], ssh };
}

/** queuedReport reports a spawn the agent accepted but has not started: it is `creating`, not absent. */
export function queuedReport(spec: SpawnSpec & { vm_id: string }): VmReport {
  const nodes = parseCpuList(spec.tuning.numa_memory.nodeset);
  return {
    vm_id: spec.vm_id,
    name: spec.name,
    ...(spec.vmid !== undefined ? { vmid: spec.vmid } : {}),
    ...(spec.tenant !== undefined ? { tenant: spec.tenant } : {}),
    state: 'creating',
    numa_node: nodes.length === 1 ? nodes[0]! : null,
    vcpu_pins: spec.tuning.vcpu_pins.map(Number),
    emulator_cpuset: parseCpuList(spec.tuning.emulator_cpuset),
    memory_mb: spec.memory_mb,
    vcpu_count: spec.vcpu_count,
    cpu_policy: spec.cpu_policy ?? 'dedicated',
    domain_uuid: null,
  };
}
