import type { VmReport } from '../../shared/protocol.js';

/** simVmReports are a simulated node's VMs as a real agent reports them: dedicated 2-vCPU VMs, running. */
export function simVmReports(nodeId: string, n: number): VmReport[] {
  return Array.from({ length: n }, (_, i) => ({
    vm_id: `${nodeId}-vm-${i}`,
    name: `${nodeId}-vm-${i}`,
    state: 'running' as const,
    numa_node: i % 2,
    vcpu_pins: [i * 2, i * 2 + 1],
    emulator_cpuset: [],
    memory_mb: 4096,
    vcpu_count: 2,
    cpu_policy: 'dedicated' as const,
    domain_uuid: null,
  }));
}
