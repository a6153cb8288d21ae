import { formatCpuList } from '../shared/cpulist.js';
import type { BandRow, NodeDetail, NodeRow, NodeThread } from '../api/index.js';
import { formatGb, formatPairs, formatTable } from './table.js';

/**
 * formatNodes renders the seed-001 per-node allocation table. Free room is shown per NUMA node
 * (threads and GiB), never summed: a VM lives on one NUMA node, so 2 × 21 GiB free does not hold a
 * 32 GiB VM. A down node shows no capacity; VMs are counted (`vmpoolctl list --node` names them).
 */
export function formatNodes(rows: readonly NodeRow[]): string {
  return formatTable(
    [
      'NODE',
      'STATE',
      'RES',
      'KVM',
      { header: 'VMS', align: 'right' },
      { header: 'vCPU USED/TOTAL', align: 'right' },
      { header: 'RAM GiB USED/TOTAL', align: 'right' },
      'FREE PER NUMA (threads, GiB)',
      'OVER',
    ],
    rows.map((n) => [
      n.id,
      n.state,
      yesNo(n.reserved),
      yesNo(n.kvm),
      n.vms.length,
      `${n.vcpu_used}/${n.vcpu_total}`,
      `${formatGb(n.ram_used_mb)}/${formatGb(n.ram_total_mb)}`,
      available(n),
      yesNo(n.over_allocated),
    ]),
  );
}

function available(n: NodeRow): string {
  if (n.state === 'down') return 'down: no capacity';
  if (n.over_allocated) return 'Over-allocated';
  if (!n.numa.length) return `${n.vcpu_available} vCPU, ${formatGb(n.ram_available_mb)} GiB`;
  return n.numa.map((f) => `n${f.numa_node}: ${f.threads_free}t ${formatGb(f.memory_free_mb)}`).join(', ');
}

/** formatNode renders one node compactly: identity, usage, then per NUMA node who holds which threads. */
export function formatNode(d: NodeDetail): string {
  const head = formatPairs([
    ['node', d.id],
    ['hostname', d.hostname],
    ['cpu', d.cpu_model],
    ['state', d.state],
    ['reserved', yesNo(d.reserved)],
    ['kvm', yesNo(d.kvm)],
    ['vcpu used', `${d.vcpu_used}/${d.vcpu_total}`],
    ['ram used', `${formatGb(d.ram_used_mb)}/${formatGb(d.ram_total_mb)} GB`],
    ['heartbeat', `every ${d.heartbeat_interval_ms} ms, last ${d.last_seen}`],
  ]);
  const rows = d.numa_nodes.flatMap((nn) =>
    holders(nn.threads).map(([holder, ids]) => [
      nn.id,
      formatGb(nn.memory_mb),
      holder,
      formatCpuList(ids),
      ids.length,
    ]),
  );
  return `${head}\n${formatTable(['NUMA', { header: 'MEM GB', align: 'right' }, 'HOLDER', 'THREADS', 'COUNT'], rows)}`;
}

/** holders groups a NUMA node's threads by VM, then host-reserved, then free ones. */
export function holders(threads: readonly NodeThread[]): [string, number[]][] {
  const byVm = new Map<string, number[]>();
  const host: number[] = [];
  const free: number[] = [];
  for (const t of threads) {
    for (const vm of t.vms) byVm.set(vm, [...(byVm.get(vm) ?? []), t.id]);
    if (t.host_reserved) host.push(t.id);
    else if (t.vms.length === 0) free.push(t.id);
  }
  const groups: [string, number[]][] = [...byVm.entries()];
  if (host.length) groups.push(['(host)', host]);
  if (free.length) groups.push(['(free)', free]);
  return groups;
}

/** formatBands renders the seed-000 band summary. */
export function formatBands(bands: readonly BandRow[]): string {
  return formatTable(
    [{ header: 'RANGE', align: 'right' }, 'NAME', 'TOTAL', 'USED', 'AVAILABLE', '%'],
    bands.map((b) => [
      `${b.from}-${b.to}`,
      b.name,
      b.total,
      b.used,
      b.available,
      Math.round(b.percent_used * 10) / 10,
    ]),
  );
}

function yesNo(v: boolean): string {
  return v ? 'yes' : 'no';
}
