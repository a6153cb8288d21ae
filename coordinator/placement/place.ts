import { type CheckContext, runChecks } from './checkers.js';
import { invalidRequestError } from './errors.js';
import { dedicatedPins, emulatorCpuset, numaThreads, sharedPins } from './pins.js';
import { compareOptions, type RankedOption, rankNode } from './rank.js';
import { notRun, PassExplainer, wantDetail } from './explain.js';
import {
  type Allocation,
  DEFAULT_PLACEMENT_CONFIG,
  DETAIL_AUTO_MAX_NODES,
  type Decision,
  type PassReport,
  type PlacementConfig,
  type PlacementNode,
  type PlacementOptions,
  type PlacementRequest,
  type PlacementResult,
} from './types.js';
import { type NodeView, nodeView } from './view.js';

interface PassOutcome {
  readonly report: PassReport;
  readonly best: RankedOption | undefined;
}

/**
 * placeVm chooses a node, NUMA node and threads for one VM by scanning every node: the reference
 * PlacementIndex is checked against. Pass 1 considers non-reserved nodes; pass 2 widens to reserved
 * nodes, only when pass 1 found no candidate and the request allows it.
 */
export function placeVm(
  nodes: readonly PlacementNode[],
  request: PlacementRequest,
  config: PlacementConfig = DEFAULT_PLACEMENT_CONFIG,
  opts: PlacementOptions = {},
): PlacementResult {
  assertValid(request, config);
  const detail = wantDetail(opts.detail, nodes.length, DETAIL_AUTO_MAX_NODES);
  const scope = { detail, exclude: opts.exclude ?? NONE, cordoned: opts.cordoned ?? NONE };
  const first = runPass(1, nodes, request, config, scope);
  if (first.best)
    return { ok: true, decision: decide(first.best, request, 1), passes: [first.report, notRun(2)] };
  if (!request.allow_reserved) return failed([first.report, notRun(2)]);
  const second = runPass(2, nodes, request, config, scope);
  if (second.best)
    return { ok: true, decision: decide(second.best, request, 2), passes: [first.report, second.report] };
  return failed([first.report, second.report]);
}

const NONE: ReadonlySet<string> = new Set();

/** failed is a failed result, with never_fits when no considered node could take the request empty. */
export function failed(passes: PassReport[]): PlacementResult {
  const fits = passes.reduce((sum, p) => sum + p.fits_when_empty, 0);
  return { ok: false, passes, shortfall: fits > 0 ? 'no_room_now' : 'never_fits' };
}

/** allocationFromDecision is the allocation a decision claims, to add to the node before the next placement. */
export function allocationFromDecision(request: PlacementRequest, decision: Decision): Allocation {
  const allocation: Allocation = {
    vm_id: request.vm_id,
    numa_node: decision.numa_node,
    pins: [...decision.vcpu_pins],
    memory_mb: request.memory_mb,
    cpu_policy: request.cpu_policy,
  };
  return request.anti_affinity_group === undefined
    ? allocation
    : { ...allocation, anti_affinity_group: request.anti_affinity_group };
}

interface Scope {
  readonly detail: boolean;
  readonly exclude: ReadonlySet<string>;
  readonly cordoned: ReadonlySet<string>;
}

function runPass(
  pass: 1 | 2,
  nodes: readonly PlacementNode[],
  request: PlacementRequest,
  config: PlacementConfig,
  { detail, exclude, cordoned }: Scope,
): PassOutcome {
  const explain = new PassExplainer(pass, request, config, { detail, cordoned });
  let best: RankedOption | undefined;
  for (const given of nodes) {
    const node = exclude.has(given.id) ? { ...given, alive: false } : given;
    let view: NodeView | undefined;
    const ctx: CheckContext = { pass, config, cordoned, view: () => (view ??= nodeView(node)) };
    const verdict = runChecks(node, request, ctx);
    explain.add(node, ctx.view(), verdict === true ? null : verdict.reason);
    if (verdict !== true) continue;
    // The checks passed, so rankNode always finds a NUMA node that fits.
    const option = rankNode(node, ctx.view(), request, config);
    if (option && (!best || compareOptions(option, best, request, config) < 0)) best = option;
  }
  return { report: explain.finish(), best };
}

/** decide turns the best ranked option into the decision: exact pins, emulator threads, memory. */
export function decide(option: RankedOption, request: PlacementRequest, pass: 1 | 2): Decision {
  const { node, view, numa } = option;
  const numaNode = node.topology.numa_nodes.find((n) => n.id === numa.id)!;
  const threads = numaThreads(view, numa);
  const pins =
    request.cpu_policy === 'dedicated'
      ? dedicatedPins(numaNode, threads.free, request.vcpu_count)
      : sharedPins(view, numa, request.vcpu_count);
  return {
    node_id: node.id,
    numa_node: numa.id,
    vcpu_pins: pins,
    emulator_cpuset: emulatorCpuset(node, numa, pins, threads),
    memory_nodeset: String(numa.id),
    memory_mode: 'strict',
    pass,
    score: option.score,
  };
}

/** assertValid refuses requests and configs placement cannot work with. */
export function assertValid(request: PlacementRequest, config: PlacementConfig): void {
  if (!Number.isInteger(request.vcpu_count) || request.vcpu_count < 1) {
    throw invalidRequestError(request, `vcpu_count must be a positive integer, got ${request.vcpu_count}`);
  }
  if (!Number.isFinite(request.memory_mb) || request.memory_mb < 0) {
    throw invalidRequestError(request, `memory_mb must be a non-negative number, got ${request.memory_mb}`);
  }
  if (!Number.isFinite(config.cpu_overcommit) || config.cpu_overcommit <= 0) {
    throw invalidRequestError(request, `cpu_overcommit must be positive, got ${config.cpu_overcommit}`);
  }
}
