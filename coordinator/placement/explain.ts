import { runChecks } from './checkers.js';
import { cpuRoom } from './fit.js';
import type {
  LargestFree,
  NearMiss,
  PassReport,
  PlacementConfig,
  PlacementNode,
  PlacementRequest,
  ReasonCode,
} from './types.js';
import type { NodeView } from './view.js';

/** CLOSEST_KEPT is how many near misses a pass report keeps. */
export const CLOSEST_KEPT = 3;

const CAPACITY: ReadonlySet<ReasonCode> = new Set([
  'capacity_vcpu',
  'capacity_memory',
  'numa_cpu_fit',
  'numa_memory_fit',
]);

interface Scored extends NearMiss {
  readonly distance: number;
}

/**
 * PassExplainer builds one pass's report node by node in a size that does not grow with the
 * fleet: counts per reason, the closest misses, the largest free NUMA node and how many nodes
 * could take the request when empty. Per-node rows (with detail strings) only when `detail`.
 */
export class PassExplainer {
  private readonly report: PassReport;
  private scored: Scored[] = [];
  private largest: LargestFree | null = null;

  private readonly detail: boolean;
  private readonly cordoned: ReadonlySet<string> | undefined;

  constructor(
    pass: 1 | 2,
    private readonly request: PlacementRequest,
    private readonly config: PlacementConfig,
    opts: { readonly detail: boolean; readonly cordoned?: ReadonlySet<string> | undefined },
  ) {
    this.detail = opts.detail;
    this.cordoned = opts.cordoned;
    this.report = {
      pass,
      ran: true,
      candidate_count: 0,
      reasons: {},
      closest: [],
      largest_free: null,
      fits_when_empty: 0,
      candidates: [],
      rejected: [],
    };
  }

  /** add records one node's verdict (`null` means it is a candidate). */
  add(node: PlacementNode, view: NodeView, reason: ReasonCode | null): void {
    const r = this.report;
    if (reason !== 'reserved_node' && reason !== 'kvm_required' && reason !== 'image_missing') {
      if (fitsWhenEmpty(node, view, this.request, this.config)) r.fits_when_empty++;
      if (reason !== 'node_down' && reason !== 'cordoned') this.noteLargest(node, view);
    }
    if (reason === null) {
      r.candidate_count++;
      if (this.detail) r.candidates.push(node.id);
      return;
    }
    r.reasons[reason] = (r.reasons[reason] ?? 0) + 1;
    if (CAPACITY.has(reason)) this.noteMiss(node, view, reason);
    if (this.detail) {
      const ctx = { pass: r.pass, config: this.config, cordoned: this.cordoned, view: () => view };
      const verdict = runChecks(node, this.request, ctx);
      const detail = verdict === true ? '' : verdict.detail;
      r.rejected.push({ node_id: node.id, reason, detail });
    }
  }

  /** finish returns the report. */
  finish(): PassReport {
    this.report.closest = this.scored.map(({ distance: _, ...miss }) => miss);
    this.report.largest_free = this.largest;
    return this.report;
  }

  private noteMiss(node: PlacementNode, view: NodeView, reason: ReasonCode): void {
    const { vcpu_count, memory_mb } = this.request;
    let best: Scored | undefined;
    for (const n of view.numa) {
      if (n.threads.length === 0) continue;
      const room = Math.max(0, cpuRoom(n, this.request, this.config.cpu_overcommit));
      const free = Math.max(0, n.memoryFreeMb);
      const short_vcpus = Math.max(0, vcpu_count - room);
      const short_memory_mb = Math.max(0, memory_mb - free);
      const distance = short_vcpus / vcpu_count + short_memory_mb / Math.max(1, memory_mb);
      if (best && best.distance <= distance) continue;
      best = {
        node_id: node.id,
        reason,
        numa_node: n.id,
        cpu_room: room,
        memory_free_mb: free,
        short_vcpus,
        short_memory_mb,
        distance,
      };
    }
    if (!best) return;
    const list = this.scored;
    const worst = list[CLOSEST_KEPT - 1];
    if (worst && closer(worst, best)) return;
    list.push(best);
    list.sort((a, b) => (closer(a, b) ? -1 : 1));
    if (list.length > CLOSEST_KEPT) list.length = CLOSEST_KEPT;
  }

  private noteLargest(node: PlacementNode, view: NodeView): void {
    for (const n of view.numa) {
      if (n.threads.length === 0) continue;
      const room = Math.max(0, cpuRoom(n, this.request, this.config.cpu_overcommit));
      const free = Math.max(0, n.memoryFreeMb);
      const l = this.largest;
      if (
        l &&
        (l.cpu_room > room ||
          (l.cpu_room === room &&
            (l.memory_free_mb > free || (l.memory_free_mb === free && l.node_id <= node.id))))
      )
        continue;
      this.largest = { node_id: node.id, numa_node: n.id, cpu_room: room, memory_free_mb: free };
    }
  }
}

function closer(a: Scored, b: Scored): boolean {
  return a.distance < b.distance || (a.distance === b.distance && a.node_id < b.node_id);
}

/** fitsWhenEmpty says whether some NUMA node of the node would take the request with nothing placed. */
function fitsWhenEmpty(
  node: PlacementNode,
  view: NodeView,
  request: PlacementRequest,
  config: PlacementConfig,
): boolean {
  const hostMemory = node.host_reserved_memory_mb ?? 0;
  const numa = view.numa;
  for (let i = 0; i < numa.length; i++) {
    const n = numa[i]!;
    const usable = n.threads.length - n.reservedCount;
    if (usable <= 0) continue;
    const room = request.cpu_policy === 'dedicated' ? usable : Math.floor(usable * config.cpu_overcommit);
    const memory = (node.topology.numa_nodes[i]?.memory_mb ?? 0) - hostMemory;
    if (room >= request.vcpu_count && memory >= request.memory_mb) return true;
  }
  return false;
}

/** notRun is the report of a pass that did not run. */
export function notRun(pass: 1 | 2): PassReport {
  return {
    pass,
    ran: false,
    candidate_count: 0,
    reasons: {},
    closest: [],
    largest_free: null,
    fits_when_empty: 0,
    candidates: [],
    rejected: [],
  };
}

/** wantDetail resolves the detail option against the fleet size. */
export function wantDetail(
  detail: 'auto' | 'nodes' | 'none' | undefined,
  fleetSize: number,
  max: number,
): boolean {
  return detail === 'nodes' || ((detail ?? 'auto') === 'auto' && fleetSize <= max);
}
