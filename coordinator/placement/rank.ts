import { fitsWhole, threadsLeftAfter } from './fit.js';
import { seededHash } from './hash.js';
import type { PlacementConfig, PlacementNode, PlacementRequest } from './types.js';
import type { NodeView, NumaView } from './view.js';

/** RankedOption is one feasible node with the NUMA node ranking chose on it and the node's score. */
export interface RankedOption {
  readonly node: PlacementNode;
  readonly view: NodeView;
  readonly numa: NumaView;
  /** score is the node's free threads left after placement (pack prefers low, spread high) */
  readonly score: number;
}

/** bestNuma is the NUMA node ranking picks on a node (pack: fewest threads left, spread: most), or undefined. */
export function bestNuma(
  view: NodeView,
  request: PlacementRequest,
  config: PlacementConfig,
): NumaView | undefined {
  let best: NumaView | undefined;
  let bestLeft = 0;
  const pack = config.ranking === 'pack';
  for (const numa of view.numa) {
    if (!fitsWhole(numa, request, config.cpu_overcommit)) continue;
    const left = threadsLeftAfter(numa, request);
    const better = pack ? left < bestLeft : left > bestLeft;
    if (best === undefined || better || (left === bestLeft && numa.id < best.id)) {
      best = numa;
      bestLeft = left;
    }
  }
  return best;
}

/** scoreOf is the node's free threads once the request is placed on the given NUMA node. */
export function scoreOf(view: NodeView, numa: NumaView, request: PlacementRequest): number {
  return view.freeThreads - (numa.freeCount - threadsLeftAfter(numa, request));
}

/** rankNode picks the NUMA node on a feasible node and scores the node. */
export function rankNode(
  node: PlacementNode,
  view: NodeView,
  request: PlacementRequest,
  config: PlacementConfig,
): RankedOption | undefined {
  const numa = bestNuma(view, request, config);
  if (numa === undefined) return undefined;
  return { node, view, numa, score: scoreOf(view, numa, request) };
}

/**
 * compareOptions orders options best first: KVM nodes first when KVM is optional (TCG is far
 * slower), then score by ranking mode, then the seeded hash, then node id, so order is total.
 */
export function compareOptions(
  a: RankedOption,
  b: RankedOption,
  request: PlacementRequest,
  config: PlacementConfig,
): number {
  if (!request.requires_kvm && a.node.kvm !== b.node.kvm) return a.node.kvm ? -1 : 1;
  if (a.score !== b.score) return config.ranking === 'pack' ? a.score - b.score : b.score - a.score;
  const ha = seededHash(config.seed, a.node.id);
  const hb = seededHash(config.seed, b.node.id);
  if (ha !== hb) return ha - hb;
  return a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0;
}
