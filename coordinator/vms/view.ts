import type { NodeEntry } from '../registry/registry.js';
import type { VmRecord } from '../store/types.js';
import { domainName } from './spec-builder.js';

/** VmView is a VM as the API shows it: the record plus node, NUMA node, pins and the live state. */
export interface VmView {
  id: string;
  name: string;
  domain_name: string;
  tenant: string;
  vmid: number;
  band: string | null;
  tags: string[];
  state: string;
  node_id: string | null;
  numa_node: number | null;
  vcpu_count: number | null;
  memory_mb: number | null;
  vcpu_pins: number[];
  emulator_cpuset: number[];
  memory_nodeset: string | null;
  cpu_policy: string | null;
  placement_pass: number | null;
  /** stats are the node's latest live figures for this VM (from heartbeats; null when none yet) */
  stats: Record<string, number | string | boolean> | null;
  created_at: string;
  updated_at: string;
}

/** viewVm renders a record; a VM on a node that is down shows `unknown` (never deleted). */
export function viewVm(vm: VmRecord, nodes: { node(id: string): NodeEntry | undefined }): VmView {
  const node = vm.node_id ? nodes.node(vm.node_id) : undefined;
  const nodeDown = vm.node_id !== null && (!node || node.state === 'down');
  const p = vm.placement;
  return {
    id: vm.id,
    name: vm.name,
    domain_name: domainName(vm.tenant, vm.name),
    tenant: vm.tenant,
    vmid: vm.vmid,
    band: vm.band ?? null,
    tags: vm.tags,
    state: nodeDown && vm.state === 'running' ? 'unknown' : vm.state,
    node_id: vm.node_id,
    numa_node: p?.numa_node ?? null,
    vcpu_count: p?.vcpu_count ?? null,
    memory_mb: p?.memory_mb ?? null,
    vcpu_pins: p?.vcpu_pins ?? [],
    emulator_cpuset: p?.emulator_cpuset ?? [],
    memory_nodeset: p?.memory_nodeset ?? null,
    cpu_policy: p?.cpu_policy ?? null,
    placement_pass: p?.pass ?? null,
    stats: node?.stats[vm.id] ?? null,
    created_at: vm.created_at,
    updated_at: vm.updated_at,
  };
}
