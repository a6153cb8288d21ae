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
import { FleetIndex } from './fleet-index.js';

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

  constructor(private readonly o: PlacerOptions) {
    this.fleet = new FleetIndex(o.registry, o.vms ?? new VmIndex(o.store));
  }

  /** place decides where a VM goes; nodes in `exclude` already refused it. */
  place(req: PlacementAsk, tenantId: string, vmId: string, exclude: ReadonlySet<string>): PlaceResult {
    const seed = this.o.placement.seed + this.seq++;
    return { ...this.run(req, tenantId, vmId, seed, { exclude }), seed };
  }

  /** dryRun is place without consuming a seed; it always explains, per node when `detail` says so. */
  dryRun(req: PlacementAsk, tenantId: string, detail: DryRunDetail = 'auto'): PlaceResult {
    const seed = this.o.placement.seed + this.seq;
    return { ...this.run(req, tenantId, 'dry-run', seed, { explain: true, detail }), seed };
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
    const request = placementRequest(req, tenantId, vmId);
    const result = this.fleet.current().place(request, { ...this.o.placement, seed }, opts);
    for (const p of result.passes) {
      p.candidates.sort();
      p.rejected.sort((a, b) => (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0));
    }
    return result;
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
    image: req.image,
  };
}
