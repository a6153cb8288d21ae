import type { NodeEntry } from '../registry/registry.js';
import type { Allocation, PlacementNode } from '../placement/types.js';
import type { StoreState, VmRecord } from '../store/types.js';

/** allocationOf turns a VM's claim into placement's Allocation; null when it holds nothing. */
export function allocationOf(vm: VmRecord): Allocation | null {
  if (!vm.node_id || !vm.placement) return null;
  return {
    vm_id: vm.id,
    numa_node: vm.placement.numa_node,
    pins: vm.placement.vcpu_pins,
    memory_mb: vm.placement.memory_mb,
    cpu_policy: vm.placement.cpu_policy,
    anti_affinity_group: vm.placement.anti_affinity_group,
  };
}

/** claimsByNode groups every held claim in the store by node id. */
export function claimsByNode(state: StoreState): Map<string, Allocation[]> {
  const out = new Map<string, Allocation[]>();
  for (const vm of Object.values(state.vms)) {
    const a = allocationOf(vm);
    if (!a || !vm.node_id) continue;
    const list = out.get(vm.node_id) ?? [];
    list.push(a);
    out.set(vm.node_id, list);
  }
  return out;
}

/** placementNodes is the fleet as placement sees it: registry topology plus the store's claims. */
export function placementNodes(nodes: readonly NodeEntry[], state: StoreState): PlacementNode[] {
  const claims = claimsByNode(state);
  return nodes.map((n) => ({
    id: n.id,
    alive: n.state === 'ready' && n.conn !== null,
    reserved: n.hello.reserved,
    kvm: n.hello.kvm,
    topology: n.hello.topology,
    host_reserved_cpus: n.hello.host_reserved_cpus,
    host_reserved_memory_mb: n.hello.host_reserved_memory_mb,
    allocations: claims.get(n.id) ?? [],
  }));
}
