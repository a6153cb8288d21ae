import { plural } from '../shared/status.js';

/** CoordinatorCounts is what the coordinator's STATUS= line summarises. */
export interface CoordinatorCounts {
  nodes: Record<string, number>;
  vms: number;
  spawnsInFlight: number;
}

/** coordinatorStatusLine is "5 nodes ready, 1 down; 230 VMs; 3 spawns in flight". */
export function coordinatorStatusLine(c: CoordinatorCounts): string {
  const states = Object.entries(c.nodes).filter(([, n]) => n > 0);
  const ready = c.nodes.ready ?? 0;
  const others = states.filter(([s]) => s !== 'ready').map(([s, n]) => `${n} ${s}`);
  const nodes = [`${plural(ready, 'node')} ready`, ...others].join(', ');
  return `${nodes}; ${plural(c.vms, 'VM')}; ${plural(c.spawnsInFlight, 'spawn')} in flight`;
}
