import type { NodeRow } from '../../http/nodes.js';
import type { VmView } from '../../vms/view.js';
import type { NodeDetail } from '../fleet-format.js';

/** Canned is one fake coordinator answer: a JSON body or a problem+json error. */
export type Canned = { status: number; body: unknown } | { status: number; problem: Record<string, unknown> };

const slmPins = [
  0, 36, 1, 37, 2, 38, 3, 39, 4, 40, 5, 41, 6, 42, 7, 43, 8, 44, 9, 45, 10, 46, 11, 47, 12, 48, 13, 49, 14,
  50, 15, 51,
];

/** VM_1 is seed-003 VM1 as the coordinator shows it after placement. */
export const VM_1: VmView = {
  id: 'vm-1',
  name: 'k3s-worker-slm-heavy',
  domain_name: 'vmpool-t1-k3s-worker-slm-heavy',
  tenant: 't1',
  vmid: 1001,
  band: 'ai-prod',
  tags: [],
  state: 'running',
  node_id: 'node-a',
  numa_node: 0,
  vcpu_count: 32,
  memory_mb: 120832,
  vcpu_pins: slmPins,
  emulator_cpuset: [16, 17, 52, 53],
  memory_nodeset: '0',
  cpu_policy: 'dedicated',
  placement_pass: 1,
  stats: null,
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-01T00:00:01.000Z',
};

const nodeA: NodeRow = {
  id: 'node-a',
  state: 'up',
  reserved: false,
  kvm: true,
  vms: ['k3s-worker-slm-heavy'],
  vcpu_used: 32,
  vcpu_total: 64,
  ram_used_mb: 120832,
  ram_total_mb: 256000,
  vcpu_available: 32,
  ram_available_mb: 135168,
  over_allocated: false,
  numa: [],
};

const nodeADetail: NodeDetail = {
  ...nodeA,
  hostname: 'host-a',
  cpu_model: 'Xeon',
  heartbeat_interval_ms: 5000,
  last_seen: '2025-01-01T00:00:05.000Z',
  numa_nodes: [
    {
      id: 0,
      memory_mb: 128000,
      threads: [
        ...[0, 36, 1, 37].map((id) => ({
          id,
          core_id: id % 36,
          siblings: [],
          host_reserved: false,
          vms: ['k3s-worker-slm-heavy'],
        })),
        ...[16, 52].map((id) => ({ id, core_id: id % 36, siblings: [], host_reserved: true, vms: [] })),
        ...[2, 38].map((id) => ({ id, core_id: id % 36, siblings: [], host_reserved: false, vms: [] })),
      ],
    },
  ],
};

/** CANNED maps "METHOD path" (query first, then without it) to the answer the fake coordinator gives. */
export const CANNED: Record<string, Canned> = {
  'GET /v1/vms': { status: 200, body: { vms: [VM_1] } },
  'GET /v1/vms/vm-1': { status: 200, body: VM_1 },
  'POST /v1/vms': { status: 201, body: VM_1 },
  'DELETE /v1/vms/vm-1': { status: 204, body: null },
  'POST /v1/placements/dry-run': {
    status: 200,
    body: {
      ok: true,
      decision: {
        node_id: 'node-a',
        numa_node: 1,
        vcpu_pins: [18, 54, 19, 55],
        emulator_cpuset: [34, 35, 70, 71],
        memory_nodeset: '1',
        memory_mode: 'strict',
        pass: 1,
        score: 10,
      },
      passes: [
        {
          pass: 1,
          ran: true,
          candidates: ['node-a'],
          rejected: [
            { node_id: 'node-b', reason: 'numa_memory_fit', detail: 'no NUMA node has 1024 MiB free' },
          ],
        },
        { pass: 2, ran: false, candidates: [], rejected: [] },
      ],
    },
  },
  noCapacity: {
    status: 409,
    problem: {
      type: 'https://vmpool.dev/problems/no_capacity',
      title: 'no capacity',
      code: 'no_capacity',
      detail: 'Cannot place VM: no node fits (2 nodes considered)',
      retryable: true,
      passes: [
        {
          pass: 1,
          ran: true,
          candidates: [],
          rejected: [
            { node_id: 'node-a', reason: 'numa_cpu_fit', detail: 'no NUMA node has 64 free threads' },
          ],
        },
        {
          pass: 2,
          ran: true,
          candidates: [],
          rejected: [{ node_id: 'node-r', reason: 'capacity_vcpu', detail: 'needs 64 vCPUs, 12 free' }],
        },
      ],
    },
  },
  'GET /v1/nodes': {
    status: 200,
    body: {
      nodes: [
        nodeA,
        {
          ...nodeA,
          id: 'node-b',
          vms: [],
          vcpu_used: 70,
          ram_used_mb: 0,
          vcpu_available: 0,
          ram_available_mb: 256000,
          over_allocated: true,
        },
      ],
    },
  },
  'GET /v1/nodes/node-a': { status: 200, body: nodeADetail },
  'GET /v1/vmid-bands': {
    status: 200,
    body: {
      bands: [
        {
          name: 'ai-prod',
          title: 'AI production',
          from: 100,
          to: 199,
          total: 100,
          used: 3,
          available: 97,
          percent_used: 3,
        },
      ],
    },
  },
  'POST /v1/tenants': {
    status: 201,
    body: {
      id: 't1',
      name: 'team-a',
      quota: { vcpus: 64, memory_mb: 262144, vms: 10 },
      created_at: '2025-01-01T00:00:00.000Z',
      token: 'vmp_secret',
    },
  },
  'GET /v1/tenants': { status: 200, body: { tenants: [] } },
  'GET /v1/audit': { status: 200, body: { entries: [] } },
  'GET /v1/audit/verify': { status: 200, body: { ok: true, entries: 3, head_hash: 'ab'.repeat(32) } },
};
