import type { Decision } from '../../placement/types.js';
import type { ClaimInput } from '../claim-book.js';

/** testDecision is a placement on node n1, NUMA node 0, threads 0 and 36 (the seed-003 siblings). */
export const testDecision: Decision = {
  node_id: 'n1',
  numa_node: 0,
  vcpu_pins: [0, 36],
  emulator_cpuset: [16],
  memory_nodeset: '0',
  memory_mode: 'strict',
  pass: 1,
  score: 10,
};

/** claimInput is a 2-vCPU dedicated claim of tenant t1 on testDecision, named after its id. */
export function claimInput(id: string, over: Partial<ClaimInput> = {}): ClaimInput {
  return {
    id,
    tenantId: 't1',
    req: { name: id, tags: [], vcpu_count: 2, memory_mb: 512, placement: { cpu_policy: 'dedicated' } },
    vmid: 100,
    placed: { decision: testDecision, seed: 7 },
    idempotency: { key: 'k1', hash: 'h' },
    source: 'test',
    requestId: 'r1',
    ...over,
  };
}
