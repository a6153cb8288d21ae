import type { VmIndex } from '../claims/vm-index.js';
import { PlacementIndex } from '../placement/placement-index.js';
import type { Allocation, PlacementNode } from '../placement/types.js';
import type { NodeEntry, NodeRegistry } from '../registry/registry.js';

/**
 * FleetIndex keeps placement's PlacementIndex in step with the registry (hello, liveness,
 * connection) and the claims (VmIndex): a change marks its node, and the next decision rebuilds
 * only the marked nodes. Nothing is rebuilt from the whole store per decision.
 */
export class FleetIndex {
  private readonly index = new PlacementIndex();
  private readonly marked = new Set<string>();
  private primed = false;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly vms: VmIndex,
  ) {
    registry.watch((id) => this.marked.add(id));
  }

  /** current brings the index up to date and returns it. */
  current(): PlacementIndex {
    if (!this.primed) {
      for (const entry of this.registry.list()) this.marked.add(entry.id);
      this.primed = true;
    }
    for (const id of this.vms.drainChangedNodes()) this.marked.add(id);
    for (const id of this.marked) this.refresh(id);
    this.marked.clear();
    return this.index;
  }

  private refresh(id: string): void {
    const entry = this.registry.get(id);
    if (!entry) {
      this.index.remove(id);
      return;
    }
    this.index.upsert(placementNode(entry, this.vms.claimsOn(id)));
  }
}

/** placementNode is one node as placement sees it: its hello, liveness and claims. */
export function placementNode(entry: NodeEntry, allocations: Allocation[]): PlacementNode {
  const { hello } = entry;
  return {
    id: entry.id,
    alive: entry.state === 'ready' && entry.conn !== null,
    reserved: hello.reserved,
    kvm: hello.kvm,
    topology: hello.topology,
    host_reserved_cpus: hello.host_reserved_cpus,
    host_reserved_memory_mb: hello.host_reserved_memory_mb,
    allocations,
    images: hello.images,
  };
}
