import { formatCpuList } from '../../shared/cpulist.js';
import type { VmReport } from '../../shared/protocol.js';

/** renderVmTable prints the agent's VMs for `vmpool-agent list`. */
export function renderVmTable(vms: readonly VmReport[]): string {
  if (vms.length === 0) return 'no VMs\n';
  const rows = [
    ['NAME', 'STATE', 'VCPU', 'MEM MiB', 'NUMA', 'PINS', 'EMULATOR', 'VMID', 'MAC', 'ADDRESSES', 'SSH', 'ID'],
    ...vms.map((v) => [
      v.name,
      v.state_reason ? `${v.state} (${v.state_reason})` : v.state,
      String(v.vcpu_count),
      String(v.memory_mb),
      v.numa_node === null ? '-' : String(v.numa_node),
      formatCpuList(v.vcpu_pins),
      formatCpuList(v.emulator_cpuset),
      v.vmid === undefined ? '-' : String(v.vmid),
      v.network?.mac ?? '-',
      v.network?.addresses.join(',') || '-',
      v.network?.ssh ? `${v.network.ssh.host}:${v.network.ssh.port}` : '-',
      v.vm_id,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
