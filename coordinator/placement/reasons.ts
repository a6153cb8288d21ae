import { cpuFits, cpuRoom, fitsWhole } from './fit.js';
import type { PlacementConfig, PlacementNode, PlacementRequest, ReasonCode } from './types.js';
import type { NodeView } from './view.js';

/**
 * reasonCode is the first check of CHECK_CHAIN that rejects the node, as a code only: the same
 * verdicts as runChecks without building a detail string, so the hot path allocates nothing.
 * `null` means every check passes. checkers.ts keeps the detailed chain for per-node reports.
 */
export function reasonCode(
  node: PlacementNode,
  view: NodeView,
  request: PlacementRequest,
  pass: 1 | 2,
  config: PlacementConfig,
  cordoned?: ReadonlySet<string>,
): ReasonCode | null {
  if (!node.alive) return 'node_down';
  if (cordoned?.has(node.id)) return 'cordoned';
  return staticReason(node, request, pass) ?? capacityReason(view, request, config);
}

/** staticReason covers the checks that do not depend on what is placed on the node. */
export function staticReason(node: PlacementNode, request: PlacementRequest, pass: 1 | 2): ReasonCode | null {
  if (pass === 1 && node.reserved) return 'reserved_node';
  if (request.requires_kvm && !node.kvm) return 'kvm_required';
  if (request.image !== undefined && node.images !== undefined && !node.images.includes(request.image))
    return 'image_missing';
  return null;
}

/** capacityReason covers the checks on free threads, memory, NUMA fit and anti-affinity. */
export function capacityReason(
  view: NodeView,
  request: PlacementRequest,
  config: PlacementConfig,
): ReasonCode | null {
  const over = config.cpu_overcommit;
  if (request.cpu_policy === 'dedicated') {
    if (view.freeThreads < request.vcpu_count) return 'capacity_vcpu';
  } else {
    let room = 0;
    for (const n of view.numa) room += Math.max(0, cpuRoom(n, request, over));
    if (room < request.vcpu_count) return 'capacity_vcpu';
  }
  if (view.memoryFreeMb < request.memory_mb) return 'capacity_memory';
  let cpu = false;
  let whole = false;
  for (const n of view.numa) {
    if (!cpuFits(n, request, over)) continue;
    cpu = true;
    if (fitsWhole(n, request, over)) {
      whole = true;
      break;
    }
  }
  if (!cpu) return 'numa_cpu_fit';
  if (!whole) return 'numa_memory_fit';
  const group = request.anti_affinity_group;
  if (group !== undefined && view.groups.has(group)) return 'anti_affinity';
  return null;
}
