import type { CapacityAnswer } from '../../api/capacity.js';
import type { Hello } from '../../shared/protocol.js';
import { placeVm } from '../placement/index.js';
import type { PlacementConfig, PlacementRequest, PlacementResult } from '../placement/types.js';
import type { NodeEntry, NodeRegistry } from '../registry/registry.js';
import type { Store } from '../store/index.js';
import { affinityGroup } from '../claims/records.js';
import { placementNodes } from './fleet-view.js';

/** PlacementAsk is what placement reads from a validated create request (CreateVmRequest has this shape). */
export interface PlacementAsk {
  readonly vcpu_count: number;
  readonly memory_mb: number;
  readonly image: string;
  readonly placement: {
    readonly cpu_policy: 'dedicated' | 'shared';
    readonly requires_kvm: boolean;
    readonly allow_reserved: boolean;
    readonly anti_affinity_group?: string | undefined;
  };
}

/** PlaceResult is placement's answer plus the seed it ran with. */
export type PlaceResult = PlacementResult & { readonly seed: number };

/** PlacerOptions: the fleet (registry), the claims (store, read only) and placement's tuning. */
export interface PlacerOptions {
  registry: NodeRegistry;
  store: Store;
  placement: PlacementConfig;
  /** cordoned are nodes the admin closed to new placements (refused with reason `cordoned`) */
  cordoned?: () => ReadonlySet<string>;
}

/**
 * Placer turns the registry and the store's claims into a placement snapshot and runs the pure
 * placement over it. Each real placement takes the next seed; a dry run shows the next seed without
 * taking it, so a dry run followed by a create answers the same way.
 */
export class Placer {
  private seq = 0;

  constructor(private readonly o: PlacerOptions) {}

  /** place decides where a VM goes; nodes in `exclude` already refused it. */
  place(req: PlacementAsk, tenantId: string, vmId: string, exclude: ReadonlySet<string>): PlaceResult {
    const seed = this.o.placement.seed + this.seq++;
    return { ...this.run(req, tenantId, vmId, exclude, seed), seed };
  }

  /** dryRun is place without consuming a seed. */
  dryRun(req: PlacementAsk, tenantId: string): PlaceResult {
    const seed = this.o.placement.seed + this.seq;
    return { ...this.run(req, tenantId, 'dry-run', new Set(), seed), seed };
  }

  /**
   * whatIf counts how many more VMs of one shape fit, by running the real placement again and again
   * on a copy of the fleet, each decision added as a claim; nothing is claimed and no seed is taken.
   */
  whatIf(req: PlacementAsk, limit: number): CapacityAnswer {
    const cordoned = this.o.cordoned?.() ?? new Set<string>();
    let nodes = placementNodes(this.o.registry.list(), this.o.store.read()).map((n) =>
      cordoned.has(n.id) ? { ...n, alive: false } : n,
    );
    const per = new Map<string, Map<number, number>>();
    const config = { ...this.o.placement, seed: this.o.placement.seed + this.seq };
    for (let i = 0; i < limit; i++) {
      const r = placeVm(nodes, placementRequest(req, '_what_if', `what-if-${i}`), config);
      if (!r.ok) return answer(req, i, false, per, r.passes);
      const d = r.decision;
      const alloc = {
        vm_id: `what-if-${i}`,
        numa_node: d.numa_node,
        pins: d.vcpu_pins,
        memory_mb: req.memory_mb,
        cpu_policy: req.placement.cpu_policy,
      };
      nodes = nodes.map((n) => (n.id === d.node_id ? { ...n, allocations: [...n.allocations, alloc] } : n));
      const numa = per.get(d.node_id) ?? new Map<number, number>();
      numa.set(d.numa_node, (numa.get(d.numa_node) ?? 0) + 1);
      per.set(d.node_id, numa);
    }
    return answer(req, limit, true, per, []);
  }

  /** node returns one node's registry entry (its hello and live stats). */
  node(nodeId: string): NodeEntry | undefined {
    return this.o.registry.get(nodeId);
  }

  /** nodeHello returns the hello of a node placement may send work to. */
  nodeHello(nodeId: string): Hello | undefined {
    return this.o.registry.get(nodeId)?.hello;
  }

  private run(
    req: PlacementAsk,
    tenantId: string,
    vmId: string,
    exclude: ReadonlySet<string>,
    seed: number,
  ): PlacementResult {
    const cordoned = this.o.cordoned?.() ?? new Set<string>();
    const nodes = placementNodes(this.o.registry.list(), this.o.store.read()).map((n) =>
      exclude.has(n.id) || cordoned.has(n.id) ? { ...n, alive: false } : n,
    );
    const result = placeVm(nodes, placementRequest(req, tenantId, vmId), { ...this.o.placement, seed });
    return cordoned.size ? nameCordons(result, cordoned) : result;
  }
}

/** placementRequest is the part of a create request placement reads. */
function placementRequest(req: PlacementAsk, tenantId: string, vmId: string): PlacementRequest {
  return {
    vm_id: vmId,
    vcpu_count: req.vcpu_count,
    memory_mb: req.memory_mb,
    cpu_policy: req.placement.cpu_policy,
    requires_kvm: req.placement.requires_kvm,
    allow_reserved: req.placement.allow_reserved,
    anti_affinity_group: affinityGroup(tenantId, req.placement.anti_affinity_group),
    image: req.image || undefined,
  };
}

/** nameCordons reports a cordoned node as `cordoned`, not as down (placement saw it as not alive). */
function nameCordons(r: PlacementResult, cordoned: ReadonlySet<string>): PlacementResult {
  const passes = r.passes.map((p) => ({
    ...p,
    rejected: p.rejected.map((x) =>
      cordoned.has(x.node_id) && x.reason === 'node_down'
        ? { ...x, reason: 'cordoned' as const, detail: 'node is cordoned by the admin: no new placements' }
        : x,
    ),
  }));
  return { ...r, passes };
}

function answer(
  req: PlacementAsk,
  fits: number,
  capped: boolean,
  per: Map<string, Map<number, number>>,
  passes: PlacementResult['passes'],
): CapacityAnswer {
  const exhausted: Record<string, number> = {};
  // the last pass that ran says why each node turned the next VM down
  const last = [...passes].reverse().find((p) => p.ran);
  for (const r of last?.rejected ?? []) exhausted[r.reason] = (exhausted[r.reason] ?? 0) + 1;
  return {
    shape: { vcpu_count: req.vcpu_count, memory_mb: req.memory_mb, cpu_policy: req.placement.cpu_policy },
    fits,
    capped,
    nodes: [...per.entries()]
      .map(([node_id, numa]) => ({
        node_id,
        fits: [...numa.values()].reduce((a, b) => a + b, 0),
        numa_nodes: Object.fromEntries([...numa.entries()].map(([k, v]) => [String(k), v])),
      }))
      .sort((a, b) => b.fits - a.fits || a.node_id.localeCompare(b.node_id)),
    exhausted,
  };
}
