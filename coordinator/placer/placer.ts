import type { CapacityAnswer } from '../../api/capacity.js';
import type { Hello } from '../../shared/protocol.js';
import { affinityGroup } from '../claims/records.js';
import { VmIndex } from '../claims/vm-index.js';
import type {
  PlacementConfig,
  PlacementOptions,
  PlacementRequest,
  PlacementResult,
} from '../placement/types.js';
import type { NodeEntry, NodeRegistry } from '../registry/registry.js';
import type { Store } from '../store/index.js';
import { placeVm } from '../placement/index.js';
import { FleetIndex } from './fleet-index.js';
import { placementNodes } from './fleet-view.js';
import { nameAntiAffinity } from './human-reasons.js';

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
  /** vms are the create-path indexes (shared with admission); built from the store when absent */
  vms?: VmIndex;
}

/** DryRunDetail says whether a dry run lists every node ('nodes') or only the summary. */
export type DryRunDetail = NonNullable<PlacementOptions['detail']>;

/**
 * Placer turns the registry and the store's claims into a placement snapshot and runs the pure
 * placement over it. Each real placement takes the next seed; a dry run shows the next seed without
 * taking it, so a dry run followed by a create answers the same way.
 */
export class Placer {
  private seq = 0;
  private readonly fleet: FleetIndex;
  private sizes = new Map<string, number | undefined>();
  private sizesGen = -1;

  constructor(private readonly o: PlacerOptions) {
    this.fleet = new FleetIndex(o.registry, o.vms ?? new VmIndex(o.store));
  }

  /** place decides where a VM goes; nodes in `exclude` already refused it. */
  place(req: PlacementAsk, tenantId: string, vmId: string, exclude: ReadonlySet<string>): PlaceResult {
    const seed = this.o.placement.seed + this.seq++;
    // the seed is added to the result, not spread with it: a spread plus a new key is V8's slow path
    const result = this.run(req, tenantId, vmId, seed, { exclude }) as PlacementResult & { seed: number };
    result.seed = seed;
    return result;
  }

  /** dryRun is place without consuming a seed; it always explains, per node when `detail` says so. */
  dryRun(req: PlacementAsk, tenantId: string, detail: DryRunDetail = 'auto'): PlaceResult {
    const seed = this.o.placement.seed + this.seq;
    return { ...this.run(req, tenantId, 'dry-run', seed, { explain: true, detail }), seed };
  }

  /**
   * whatIf counts how many more VMs of one shape fit, by running the real placement again and again
   * on a copy of the fleet, each decision added as a claim; nothing is claimed and no seed is taken.
   */
  whatIf(req: PlacementAsk, limit: number): CapacityAnswer {
    const cordoned = this.o.cordoned?.() ?? new Set<string>();
    let nodes = placementNodes(this.o.registry.list(), this.o.store.read());
    const per = new Map<string, Map<number, number>>();
    const config = { ...this.o.placement, seed: this.o.placement.seed + this.seq };
    for (let i = 0; i < limit; i++) {
      const r = placeVm(nodes, placementRequest(req, '_what_if', `what-if-${i}`), config, { cordoned });
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

  /**
   * placeWithin re-places an existing VM on its own node with a new shape (resize): the real
   * placement runs on that node alone with the VM's own claim taken out; nothing is claimed.
   */
  placeWithin(vmId: string, nodeId: string, req: PlacementAsk, tenantId: string): PlacementResult {
    const entry = this.o.registry.get(nodeId);
    const [node] = placementNodes(entry ? [entry] : [], this.o.store.read());
    const others = node ? [{ ...node, allocations: node.allocations.filter((a) => a.vm_id !== vmId) }] : [];
    // the VM is already on this node: its image, KVM and reserved-node checks were passed at create
    const ask = {
      ...req,
      image: '',
      placement: { ...req.placement, requires_kvm: false, allow_reserved: true },
    };
    const config = { ...this.o.placement, seed: this.o.placement.seed + this.seq };
    return placeVm(others, placementRequest(ask, tenantId, vmId), config, { explain: true, detail: 'nodes' });
  }

  /** imageSize is the largest virtual size (bytes) any node reports for a base image; undefined when none says. */
  imageSize(image: string): number | undefined {
    // hellos change only with the registry's generation: one walk of the fleet per image and change
    const gen = this.o.registry.generation;
    if (gen !== this.sizesGen) [this.sizes, this.sizesGen] = [new Map(), gen];
    if (this.sizes.has(image)) return this.sizes.get(image);
    let max: number | undefined;
    for (const n of this.o.registry.list()) {
      const s = n.hello.image_sizes?.[image];
      if (s !== undefined && (max === undefined || s > max)) max = s;
    }
    this.sizes.set(image, max);
    return max;
  }

  /** hellos are the registered nodes' hellos: the fleet's shape (topology, reservations). */
  hellos(): Hello[] {
    return this.o.registry.list().map((n) => n.hello);
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
    seed: number,
    opts: PlacementOptions,
  ): PlacementResult {
    const cordoned = this.o.cordoned?.();
    const request = placementRequest(req, tenantId, vmId);
    const place = cordoned?.size ? { ...opts, cordoned } : opts;
    const result = this.fleet.current().place(request, { ...this.o.placement, seed }, place);
    for (const p of result.passes) {
      p.candidates.sort();
      p.rejected.sort((a, b) => (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0));
    }
    return nameAntiAffinity(result, this.o.store.read(), request.anti_affinity_group);
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
  // counts per reason: the per-node list is empty on fleets past DETAIL_AUTO_MAX_NODES
  for (const [reason, count] of Object.entries(last?.reasons ?? {})) if (count) exhausted[reason] = count;
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
