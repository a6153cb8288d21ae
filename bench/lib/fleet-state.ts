// A coordinator state document of any size, shaped like the records the real create path writes.
import type { StoreState, TenantRecord, VmRecord } from '../../coordinator/store/types.js';
import { emptyState } from '../../coordinator/store/types.js';

/** benchTenantId names tenant i of a bench state. */
export function benchTenantId(i: number): string {
  return `bench-tenant-${String(i).padStart(4, '0')}`;
}

/** benchVm is VM i: a dedicated 2-vCPU VM placed on node `i % nodes`, running. */
export function benchVm(i: number, tenants: number, nodes: number): VmRecord {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString();
  const node = i % nodes;
  const slot = Math.floor(i / nodes);
  const name = `vm-${i}`;
  return {
    id: `bench-vm-${String(i).padStart(8, '0')}`,
    tenant: benchTenantId(i % tenants),
    name,
    vmid: 100 + i,
    band: 'default',
    tags: ['bench'],
    request: { name, vcpus: 2, memory_mb: 2048, image: 'debian-12', disk_gb: 10, cpu_policy: 'dedicated' },
    state: 'running',
    node_id: `bench-node-${String(node).padStart(5, '0')}`,
    placement: {
      numa_node: slot % 2,
      vcpu_pins: [4 + slot * 2, 5 + slot * 2],
      emulator_cpuset: [0, 1],
      memory_nodeset: String(slot % 2),
      cpu_policy: 'dedicated',
      memory_mb: 2048,
      vcpu_count: 2,
      pass: 1,
    },
    created_at: at,
    updated_at: at,
  };
}

/** benchState is a state with `vms` VMs spread over `tenants` tenants (unlimited quota) and `nodes` nodes. */
export function benchState(vms: number, tenants: number, nodes: number): StoreState {
  const state = emptyState();
  for (let t = 0; t < tenants; t++) state.tenants[benchTenantId(t)] = benchTenant(t);
  for (let i = 0; i < vms; i++) {
    const v = benchVm(i, tenants, nodes);
    state.vms[v.id] = v;
  }
  return state;
}

function benchTenant(i: number): TenantRecord {
  return {
    id: benchTenantId(i),
    name: `bench-${i}`,
    token_hash: '0'.repeat(64),
    quota: { vcpus: 1e9, memory_mb: 1e12, vms: 1e9, disk_gb: 1e9 },
    created_at: '2026-01-01T00:00:00.000Z',
  };
}
