import { formatCpuList } from '../shared/cpulist.js';
import { type AdminDryRun, type DryRunResult, type VmView, vmStateText } from '../api/index.js';
import { summarisePasses } from './placement-summary.js';
import { formatPairs, formatTable } from './table.js';

/** formatVmList renders GET /v1/vms as one row per VM. */
export function formatVmList(vms: readonly VmView[]): string {
  return formatTable(
    ['ID', 'NAME', 'TENANT', 'VMID', 'STATE', 'NODE', 'NUMA', 'vCPU', 'MEM MiB', 'PINS'],
    vms.map((v) => [
      v.id,
      v.name,
      v.tenant,
      v.vmid,
      vmStateText(v),
      v.node_id,
      v.numa_node,
      v.vcpu_count,
      v.memory_mb,
      cpus(v.vcpu_pins),
    ]),
  );
}

/** formatVm renders one VM with its node, NUMA node, pins as a cpulist, emulator cpuset and state. */
export function formatVm(v: VmView): string {
  return formatPairs([
    ['id', v.id],
    ['name', v.name],
    ['domain', v.domain_name],
    ['tenant', v.tenant],
    ['vmid', v.band ? `${v.vmid} (band ${v.band})` : v.vmid],
    ['state', vmStateText(v)],
    ['node', v.node_id],
    ['numa node', v.numa_node],
    ['vcpus', v.vcpu_count],
    ['memory', v.memory_mb === null ? null : `${v.memory_mb} MiB`],
    ['disk', v.disk_size_gb === null || v.disk_size_gb === undefined ? null : `${v.disk_size_gb} GiB`],
    ['cpu policy', v.cpu_policy],
    ['vcpu pins', cpus(v.vcpu_pins)],
    ['pin order', v.vcpu_pins.length ? v.vcpu_pins.join(' ') : null],
    ['emulator cpuset', cpus(v.emulator_cpuset)],
    ['memory nodeset', v.memory_nodeset === null ? null : `${v.memory_nodeset} (strict)`],
    ['placement pass', v.placement_pass],
    ['tags', v.tags.length ? v.tags.join(', ') : null],
    ['mac', v.network?.mac ?? null],
    [
      'addresses',
      v.network?.addresses.length
        ? `${v.network.addresses.join(', ')}${v.network.addresses_source ? ` (from ${v.network.addresses_source})` : ''}`
        : null,
    ],
    ['guest', v.guest ? `${v.guest.state}${v.guest.code ? ` (${v.guest.code})` : ''}` : null],
    ['ssh', v.network?.ssh ? `ssh -p ${v.network.ssh.port} USER@${v.network.ssh.host}` : null],
    ['created', v.created_at],
    ['updated', v.updated_at],
  ]);
}

/** formatDryRun renders a placement decision (or its absence) and the reasons: summarised, or per node with `nodes`. */
export function formatDryRun(r: DryRunResult, o: { nodes?: boolean } = {}): string {
  if ('redacted' in r) {
    // a tenant's answer: the verdict and one sentence, never nodes, pins or occupancy
    const vmid = r.vmid !== undefined ? [['vmid', r.vmid] as const] : [];
    return formatPairs([
      ['decision', r.ok ? 'fits' : 'does not fit (the create would answer no_capacity)'],
      ['reason', r.reason],
      ...vmid,
    ]);
  }
  const head = r.ok
    ? formatPairs([
        [
          'decision',
          `node ${r.decision.node_id}, NUMA node ${r.decision.numa_node}, pass ${r.decision.pass}`,
        ],
        ['vcpu pins', cpus(r.decision.vcpu_pins)],
        ['emulator cpuset', cpus(r.decision.emulator_cpuset)],
        ['memory nodeset', `${r.decision.memory_nodeset} (${r.decision.memory_mode})`],
      ])
    : 'decision: no node fits (the create would answer no_capacity)\n';
  const nodes = r.passes.some((p) => p.candidates.length + p.rejected.length > 0);
  if (!nodes) return `${head}\nno nodes registered with the coordinator\n`;
  if (o.nodes) return `${head}\n${formatPassTable(r)}`;
  const vmid = r.ok && r.vmid !== undefined ? `vmid:            ${r.vmid}\n` : '';
  return `${head}${vmid}\n${summarisePasses(r.passes).join('\n')}\n`;
}

function formatPassTable(r: AdminDryRun): string {
  const chosen = r.ok ? `${r.decision.pass}/${r.decision.node_id}` : undefined;
  const rows = r.passes.flatMap((p) => {
    if (!p.ran) return [[p.pass, '-', 'not run', '']];
    return [
      ...p.candidates.map((id) => [p.pass, id, `${p.pass}/${id}` === chosen ? 'chosen' : 'candidate', '']),
      ...p.rejected.map((x) => [p.pass, x.node_id, x.reason, x.detail]),
    ];
  });
  const listed = r.passes.some((p) => p.candidates.length + p.rejected.length > 0);
  const counted = r.passes.some((p) => p.candidate_count + sumOf(p.reasons) > 0);
  // a fleet with no registered nodes gives passes without rows; say so instead of an empty table
  if (!listed && !counted) return 'no nodes registered with the coordinator\n';
  // big fleets answer with counts per reason only (ask the API for ?detail=nodes to list every node)
  if (!listed) return formatTable(['PASS', 'RESULT', 'NODES'], summaryRows(r));
  return formatTable(['PASS', 'NODE', 'RESULT', 'DETAIL'], rows);
}

function summaryRows(r: AdminDryRun): (string | number)[][] {
  return r.passes.flatMap((p) => {
    if (!p.ran) return [[p.pass, 'not run', '']];
    const reasons = Object.entries(p.reasons).map(([reason, n]) => [p.pass, reason, n]);
    return [[p.pass, 'candidate', p.candidate_count], ...reasons];
  });
}

function sumOf(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function cpus(ids: readonly number[]): string | null {
  return ids.length ? formatCpuList(ids) : null;
}
