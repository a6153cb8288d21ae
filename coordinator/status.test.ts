import { describe, expect, it } from 'vitest';
import { coordinatorStatusLine } from './status.js';

describe('coordinator STATUS= line', () => {
  it('reads nodes, VMs and spawns in flight at a glance', () => {
    expect(coordinatorStatusLine({ nodes: { ready: 5, down: 1 }, vms: 230, spawnsInFlight: 3 })).toBe(
      '5 nodes ready, 1 down; 230 VMs; 3 spawns in flight',
    );
  });

  it('uses the singular for one and shows no empty states', () => {
    expect(coordinatorStatusLine({ nodes: { ready: 1, down: 0 }, vms: 1, spawnsInFlight: 1 })).toBe(
      '1 node ready; 1 VM; 1 spawn in flight',
    );
    expect(coordinatorStatusLine({ nodes: {}, vms: 0, spawnsInFlight: 0 })).toBe(
      '0 nodes ready; 0 VMs; 0 spawns in flight',
    );
  });
});
