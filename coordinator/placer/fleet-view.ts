import type { Allocation, PlacementNode } from '../placement/types.js';
import type { NodeEntry } from '../registry/registry.js';
import { allocationOf } from '../claims/records.js';
import type { StoreState } from '../store/types.js';

export { allocationOf };

/** claimsByNode groups every held claim in the store by node id. */
export function claimsByNode(state: StoreState): Map<string, Allocation[]> {
  const out = new Map<string, Allocation[]>();
  for (const vm of Object.values(state.vms)) {
    const a = allocationOf(vm);
    if (!a || !vm.node_id) continue;
    const list = out.get(vm.node_id);
    if (list) list.push(a);
    else out.set(vm.node_id, [a]);
  }
  return out;
}

// Placement caches its free-resource view per PlacementNode object, so a node whose hello, liveness
// and claims are unchanged must be handed over as the very same object.
const nodeCache = new WeakMap<NodeEntry, PlacementNode>();

/**
 * placementNodes is the fleet as placement sees it: registry topology plus the store's claims
 * (from `claimsOf`, an index's per-node claims, when given; else one scan of every VM).
 */
export function placementNodes(
  nodes: readonly NodeEntry[],
  state: StoreState,
  claimsOf?: (nodeId: string) => Allocation[],
): PlacementNode[] {
  const claims = claimsOf ? null : claimsByNode(state);
  return nodes.map((n) => {
    const allocations = (claims ? claims.get(n.id) : claimsOf?.(n.id)) ?? [];
    const alive = n.state === 'ready' && n.conn !== null;
    const prev = nodeCache.get(n);
    if (
      prev &&
      prev.alive === alive &&
      prev.topology === n.hello.topology &&
      prev.images === n.hello.images &&
      sameItems(prev.allocations, allocations)
    )
      return prev;
    const next: PlacementNode = {
      id: n.id,
      alive,
      reserved: n.hello.reserved,
      kvm: n.hello.kvm,
      topology: n.hello.topology,
      host_reserved_cpus: n.hello.host_reserved_cpus,
      host_reserved_memory_mb: n.hello.host_reserved_memory_mb,
      allocations,
      images: n.hello.images,
    };
    nodeCache.set(n, next);
    return next;
  });
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
