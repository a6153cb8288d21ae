import type { VmView } from '../../api/vms.js';
import type { NodeEntry } from '../registry/registry.js';
import type { VmRecord } from '../store/types.js';
import { domainName } from './spec-builder.js';

/** VmView is the API's view of a VM (declared in api/). */
export type { VmView };

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
    state: nodeDown && (vm.state === 'running' || vm.state === 'paused') ? 'unknown' : vm.state,
    ...(!nodeDown && vm.state === 'paused' && vm.state_reason ? { state_reason: vm.state_reason } : {}),
    node_id: vm.node_id,
    numa_node: p?.numa_node ?? null,
    vcpu_count: p?.vcpu_count ?? null,
    memory_mb: p?.memory_mb ?? null,
    vcpu_pins: p?.vcpu_pins ?? [],
    emulator_cpuset: p?.emulator_cpuset ?? [],
    memory_nodeset: p?.memory_nodeset ?? null,
    cpu_policy: p?.cpu_policy ?? null,
    placement_pass: p?.pass ?? null,
    disk_size_gb: (vm.request as { disk_size_gb?: number } | null)?.disk_size_gb ?? null,
    stats: node?.stats.get(vm.id) ?? null,
    network: vm.network ?? null,
    guest: vm.guest ?? null,
    created_at: vm.created_at,
    updated_at: vm.updated_at,
  };
}
