import type { PlacementRequest } from './types.js';
import { type NumaView, sharedCapacity } from './view.js';

/** cpuRoom is how many vCPUs of the request's policy a NUMA node still takes. */
export function cpuRoom(numa: NumaView, request: PlacementRequest, overcommit: number): number {
  return request.cpu_policy === 'dedicated' ? numa.freeCount : sharedCapacity(numa, overcommit);
}

/** cpuFits says whether a NUMA node has room for all of the request's vCPUs. */
export function cpuFits(numa: NumaView, request: PlacementRequest, overcommit: number): boolean {
  return numa.threads.length > 0 && cpuRoom(numa, request, overcommit) >= request.vcpu_count;
}

/** fitsWhole says whether a NUMA node has both the vCPUs and the memory for the request. */
export function fitsWhole(numa: NumaView, request: PlacementRequest, overcommit: number): boolean {
  return numa.memoryFreeMb >= request.memory_mb && cpuFits(numa, request, overcommit);
}

/** threadsLeftAfter is a NUMA node's free threads once the request is placed there. */
export function threadsLeftAfter(numa: NumaView, request: PlacementRequest): number {
  // Shared pins start on the least-loaded threads, so they use up free (load 0) threads first.
  const used =
    request.cpu_policy === 'dedicated' ? request.vcpu_count : Math.min(request.vcpu_count, numa.freeCount);
  return numa.freeCount - used;
}
