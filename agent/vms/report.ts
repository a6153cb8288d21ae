import { parseCpuList } from '../../shared/cpulist.js';
import type { VmNetwork, VmReport } from '../../shared/protocol.js';
import type { SpawnSpec } from '../../shared/spec.js';
import type { GuestAddresses } from '../backends/backend.js';
import type { Sidecar } from '../sidecar/schema.js';
import type { GuestStatus } from './guest-watch.js';

/** reportOf turns a sidecar (and the guest's status, when followed) into the VM report sent in hello and heartbeats. */
export function reportOf(s: Sidecar, guest?: GuestStatus): VmReport {
  return {
    ...queuedReport({ ...s.spec, vm_id: s.vm_id }),
    ...(s.vmid !== undefined ? { vmid: s.vmid } : {}),
    ...(s.tenant !== undefined ? { tenant: s.tenant } : {}),
    state: s.observed_state,
    ...(s.observed_state === 'paused' && s.observed_reason ? { state_reason: s.observed_reason } : {}),
    domain_uuid: s.domain_uuid,
    ...(s.failure ? { failure: s.failure } : {}),
    ...(s.network ? { network: networkOf(s.network, guest?.addresses) } : {}),
    ...(guest ? { guest: { state: guest.state, ...(guest.code ? { code: guest.code } : {}) } } : {}),
  };
}

/**
 * networkOf says how to reach a VM: on user networking SSH is the loopback forward, else the first
 * address. Addresses the guest agent, a lease or ARP found replace the planned ones.
 */
export function networkOf(n: NonNullable<Sidecar['network']>, found?: GuestAddresses): VmNetwork {
  const addresses = found ? [...found.addresses] : [...n.addresses];
  const source = found ? found.source : n.addresses.length ? 'plan' : undefined;
  const first = addresses[0];
  const ssh =
    n.ssh_port !== undefined
      ? { host: '127.0.0.1', port: n.ssh_port }
      : first !== undefined
        ? { host: first, port: 22 }
        : null;
  return { mac: n.mac, addresses, ...(source ? { addresses_source: source } : {}), ssh };
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
