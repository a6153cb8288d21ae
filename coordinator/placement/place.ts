import { type CheckContext, runChecks } from './checkers.js';
import { invalidRequestError } from './errors.js';
import { dedicatedPins, emulatorCpuset, numaThreads, sharedPins } from './pins.js';
import { compareOptions, type RankedOption, rankNode } from './rank.js';
import {
  type Allocation,
  DEFAULT_PLACEMENT_CONFIG,
  type Decision,
  type PassReport,
  type PlacementConfig,
  type PlacementNode,
  type PlacementRequest,
  type PlacementResult,
} from './types.js';
import { type NodeView, nodeView } from './view.js';

interface PassOutcome {
  readonly report: PassReport;
  readonly best: RankedOption | undefined;
}

/**
 * placeVm chooses a node, NUMA node and threads for one VM. Pass 1 considers non-reserved nodes;
 * pass 2 widens to reserved nodes, only when pass 1 found no candidate and the request allows it.
 */
export function placeVm(
  nodes: readonly PlacementNode[],
  request: PlacementRequest,
  config: PlacementConfig = DEFAULT_PLACEMENT_CONFIG,
): PlacementResult {
  assertValid(request, config);
  const first = runPass(1, nodes, request, config);
  if (first.best)
    return { ok: true, decision: decide(first.best, request, 1), passes: [first.report, notRun(2)] };
  if (!request.allow_reserved) return { ok: false, passes: [first.report, notRun(2)] };
  const second = runPass(2, nodes, request, config);
  if (second.best)
    return { ok: true, decision: decide(second.best, request, 2), passes: [first.report, second.report] };
  return { ok: false, passes: [first.report, second.report] };
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

function runPass(
  pass: 1 | 2,
  nodes: readonly PlacementNode[],
  request: PlacementRequest,
  config: PlacementConfig,
): PassOutcome {
  const report: PassReport = { pass, ran: true, candidates: [], rejected: [] };
  let best: RankedOption | undefined;
  for (const node of nodes) {
    let view: NodeView | undefined;
    const ctx: CheckContext = { pass, config, view: () => (view ??= nodeView(node)) };
    const verdict = runChecks(node, request, ctx);
    if (verdict !== true) {
      report.rejected.push({ node_id: node.id, reason: verdict.reason, detail: verdict.detail });
      continue;
    }
    report.candidates.push(node.id);
    // The checks passed, so rankNode always finds a NUMA node that fits.
    const option = rankNode(node, ctx.view(), request, config);
    if (option && (!best || compareOptions(option, best, request, config) < 0)) best = option;
  }
  return { report, best };
}

function decide(option: RankedOption, request: PlacementRequest, pass: 1 | 2): Decision {
  const { node, numa } = option;
  const numaNode = node.topology.numa_nodes.find((n) => n.id === numa.id)!;
  const pins =
    request.cpu_policy === 'dedicated'
      ? dedicatedPins(numaNode, numaThreads(node, numa).free, request.vcpu_count)
      : sharedPins(node, numa, request.vcpu_count);
  return {
    node_id: node.id,
    numa_node: numa.id,
    vcpu_pins: pins,
    emulator_cpuset: emulatorCpuset(node, numa, pins),
    memory_nodeset: String(numa.id),
    memory_mode: 'strict',
    pass,
    score: option.score,
  };
}

function notRun(pass: 1 | 2): PassReport {
  return { pass, ran: false, candidates: [], rejected: [] };
}

function assertValid(request: PlacementRequest, config: PlacementConfig): void {
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
