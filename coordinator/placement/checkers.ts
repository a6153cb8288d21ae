import { cpuFits, cpuRoom, fitsWhole } from './fit.js';
import type { PlacementConfig, PlacementNode, PlacementRequest, Rejection } from './types.js';
import type { NodeView } from './view.js';

/** CheckContext is what a feasibility check may look at besides the node and the request. */
export interface CheckContext {
  readonly pass: 1 | 2;
  readonly config: PlacementConfig;
  /** cordoned are the nodes the admin closed to new placements (none when absent) */
  readonly cordoned?: ReadonlySet<string> | undefined;
  /** view computes (once) the node's free resources; cheap checks never pay for it */
  readonly view: () => NodeView;
}

/** FeasibilityCheck accepts a node for a request or says why not. */
export type FeasibilityCheck = (
  node: PlacementNode,
  request: PlacementRequest,
  ctx: CheckContext,
) => true | Rejection;

/** nodeAlive rejects nodes the registry considers down. */
export const nodeAlive: FeasibilityCheck = (node) =>
  node.alive || { reason: 'node_down', detail: 'node is down (missed heartbeats)' };

/** notCordoned rejects nodes the admin cordoned: they take no new placements. */
export const notCordoned: FeasibilityCheck = (node, _request, ctx) =>
  !ctx.cordoned?.has(node.id) || {
    reason: 'cordoned',
    detail: 'node is cordoned by the admin: no new placements',
  };

/** notReserved rejects reserved nodes in pass 1; pass 2 exists to widen to them. */
export const notReserved: FeasibilityCheck = (node, _request, ctx) =>
  ctx.pass === 2 ||
  !node.reserved || { reason: 'reserved_node', detail: 'node is reserved; only pass 2 uses it' };

/** kvmCapable rejects nodes without usable KVM when the request requires it. */
export const kvmCapable: FeasibilityCheck = (node, request) =>
  !request.requires_kvm ||
  node.kvm || { reason: 'kvm_required', detail: 'node has no usable KVM, request requires it' };

/** imageAvailable rejects nodes that lack the requested base image (when the request names one). */
export const imageAvailable: FeasibilityCheck = (node, request) =>
  request.image === undefined ||
  node.images === undefined ||
  node.images.includes(request.image) || {
    reason: 'image_missing',
    detail: `node does not have base image "${request.image}"`,
  };

/** vcpuCeiling is the quick node-wide vCPU check before looking at NUMA nodes. */
export const vcpuCeiling: FeasibilityCheck = (_node, request, ctx) => {
  const view = ctx.view();
  if (request.cpu_policy === 'dedicated') {
    if (view.freeThreads >= request.vcpu_count) return true;
    return {
      reason: 'capacity_vcpu',
      detail: `node has ${view.freeThreads} free threads, ${request.vcpu_count} needed`,
    };
  }
  let room = 0;
  for (const n of view.numa) room += Math.max(0, cpuRoom(n, request, ctx.config.cpu_overcommit));
  if (room >= request.vcpu_count) return true;
  return {
    reason: 'capacity_vcpu',
    detail: `node has ${room} free shared vCPU slots, ${request.vcpu_count} needed`,
  };
};

/** memoryCeiling is the quick node-wide memory check before looking at NUMA nodes. */
export const memoryCeiling: FeasibilityCheck = (_node, request, ctx) => {
  const free = ctx.view().memoryFreeMb;
  if (free >= request.memory_mb) return true;
  return { reason: 'capacity_memory', detail: `node has ${free} MiB free, ${request.memory_mb} MiB needed` };
};

/** numaCpuFit rejects nodes where no single NUMA node has room for every vCPU. */
export const numaCpuFit: FeasibilityCheck = (_node, request, ctx) => {
  const numa = ctx.view().numa;
  for (const n of numa) if (cpuFits(n, request, ctx.config.cpu_overcommit)) return true;
  const rooms = numa.map(
    (n) => `node ${n.id} has ${Math.max(0, cpuRoom(n, request, ctx.config.cpu_overcommit))}`,
  );
  const unit = request.cpu_policy === 'dedicated' ? 'free threads' : 'free shared vCPU slots';
  return {
    reason: 'numa_cpu_fit',
    detail: `no NUMA node has ${request.vcpu_count} ${unit} (${rooms.join(', ')})`,
  };
};

/** numaMemoryFit rejects nodes where no NUMA node with room for the vCPUs also has the memory. */
export const numaMemoryFit: FeasibilityCheck = (_node, request, ctx) => {
  const numa = ctx.view().numa;
  if (numa.some((n) => fitsWhole(n, request, ctx.config.cpu_overcommit))) return true;
  const withCpu = numa.filter((n) => cpuFits(n, request, ctx.config.cpu_overcommit));
  const most = Math.max(0, ...withCpu.map((n) => n.memoryFreeMb));
  const ids = withCpu.map((n) => n.id).join(',');
  const detail = `NUMA nodes with the vCPUs (${ids}) have at most ${most} MiB free, ${request.memory_mb} MiB needed`;
  return { reason: 'numa_memory_fit', detail };
};

/** antiAffinity rejects nodes already holding a VM of the request's anti-affinity group. */
export const antiAffinity: FeasibilityCheck = (_node, request, ctx) => {
  const group = request.anti_affinity_group;
  const holder = group === undefined ? undefined : ctx.view().groups.get(group);
  if (holder === undefined) return true;
  return {
    reason: 'anti_affinity',
    detail: `node already holds VM ${JSON.stringify(holder)} of group ${JSON.stringify(group)}`,
  };
};

/** CHECK_CHAIN is the order checks run in: cheap flags first, NUMA fit last but one. */
export const CHECK_CHAIN: readonly FeasibilityCheck[] = [
  nodeAlive,
  notCordoned,
  notReserved,
  kvmCapable,
  imageAvailable,
  vcpuCeiling,
  memoryCeiling,
  numaCpuFit,
  numaMemoryFit,
  antiAffinity,
];

/** runChecks runs the chain and returns the first rejection, or true when every check passes. */
export function runChecks(
  node: PlacementNode,
  request: PlacementRequest,
  ctx: CheckContext,
): true | Rejection {
  for (const check of CHECK_CHAIN) {
    const verdict = check(node, request, ctx);
    if (verdict !== true) return verdict;
  }
  return true;
}
