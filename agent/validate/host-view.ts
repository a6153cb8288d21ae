import type { HostTopology } from '../../shared/topology.js';

/** HostVm is one VM this agent already runs (or is spawning), as validation needs to see it. */
export interface HostVm {
  readonly name: string;
  readonly vm_id: string;
  readonly pins: readonly number[];
  readonly cpu_policy: 'dedicated' | 'shared';
  readonly numa_node: number;
  readonly memory_mb: number;
}

/** HostView is the agent's live picture of its host that a spawn spec is checked against. */
export interface HostView {
  readonly topology: HostTopology;
  readonly hostReservedCpus: readonly number[];
  readonly imagesDir: string;
  /** allowedBaseDirs are where base images may live; defaults to [imagesDir] */
  readonly allowedBaseDirs?: readonly string[];
  /** vms are this agent's other VMs (never the one being validated) */
  readonly vms: readonly HostVm[];
}

/** HostIndex is a HostView with the lookups the rules need precomputed. */
export interface HostIndex {
  readonly view: HostView;
  /** nodeOfThread maps every online thread id to its NUMA node id */
  readonly nodeOfThread: ReadonlyMap<number, number>;
  readonly reserved: ReadonlySet<number>;
}

/** indexHost precomputes thread → NUMA node and the reserved set once per validation. */
export function indexHost(view: HostView): HostIndex {
  const nodeOfThread = new Map<number, number>();
  const offline = new Set(view.topology.offline_cpus);
  for (const node of view.topology.numa_nodes) {
    for (const thread of node.cpus) if (!offline.has(thread.id)) nodeOfThread.set(thread.id, node.id);
  }
  return { view, nodeOfThread, reserved: new Set(view.hostReservedCpus) };
}
