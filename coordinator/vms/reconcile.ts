import type { Logger } from '../../shared/log.js';
import type { VmReport } from '../../shared/protocol.js';
import type { NodeEntry } from '../registry/registry.js';
import type { Store, StoreState, VmRecord, VmState } from '../store/index.js';

/** ADOPTED_TENANT owns VMs found on nodes with no tenant in their metadata (spawned locally by an operator). */
export const ADOPTED_TENANT = '_local';

/** reconcileNode brings the store in line with what an agent reports about its VMs. */
export function reconcileNode(
  draft: StoreState,
  node: NodeEntry,
  reports: readonly VmReport[],
  opts: { full: boolean; inflight: ReadonlySet<string>; now: string; apply: boolean },
): string[] {
  const changes: string[] = [];
  const byId = new Map(reports.map((r) => [r.vm_id, r]));
  for (const vm of Object.values(draft.vms)) {
    if (vm.node_id !== node.id || opts.inflight.has(vm.id)) continue;
    const report = byId.get(vm.id);
    byId.delete(vm.id);
    if (report) {
      const next: VmState = report.state;
      if (vm.state === next || vm.state === 'deleting') continue;
      changes.push(`${vm.id}:${next}`);
      if (opts.apply) Object.assign(vm, { state: next, updated_at: opts.now });
    } else if (opts.full) {
      changes.push(opts.apply ? missing(draft, vm, opts.now) : `${vm.id}:missing`);
    }
  }
  for (const report of byId.values()) {
    if (draft.vms[report.vm_id]) continue; // known VM placed elsewhere: the other node's report wins
    if (opts.apply) draft.vms[report.vm_id] = adopt(node.id, report, usedVmids(draft), opts.now);
    changes.push(`${report.vm_id}:adopted`);
  }
  return changes;
}

/** missing handles a VM the node no longer has: a half-made one is released, a made one is lost. */
function missing(draft: StoreState, vm: VmRecord, now: string): string {
  if (vm.state === 'creating' || vm.state === 'pending' || vm.state === 'deleting') {
    delete draft.vms[vm.id];
    for (const [k, rec] of Object.entries(draft.idempotency))
      if (rec.vm_id === vm.id) delete draft.idempotency[k];
    return `${vm.id}:released`;
  }
  vm.state = 'lost';
  vm.updated_at = now;
  return `${vm.id}:lost`;
}

function usedVmids(draft: StoreState): Set<number> {
  return new Set(Object.values(draft.vms).map((v) => v.vmid));
}

function adopt(nodeId: string, r: VmReport, used: Set<number>, now: string): VmRecord {
  return {
    id: r.vm_id,
    tenant: r.tenant ?? ADOPTED_TENANT,
    name: r.name,
    // a VMID already taken here stays unrecorded (0) rather than colliding
    vmid: r.vmid !== undefined && !used.has(r.vmid) ? r.vmid : 0,
    tags: ['adopted'],
    request: null,
    state: r.state === 'creating' ? 'creating' : r.state,
    node_id: nodeId,
    placement:
      r.numa_node === null
        ? null
        : {
            numa_node: r.numa_node,
            vcpu_pins: r.vcpu_pins,
            emulator_cpuset: r.emulator_cpuset,
            memory_nodeset: String(r.numa_node),
            cpu_policy: r.cpu_policy,
            memory_mb: r.memory_mb,
            vcpu_count: r.vcpu_count,
            pass: 0,
          },
    created_at: now,
    updated_at: now,
  };
}

/** Reconciler applies hello (full) and heartbeat (partial) reports to the store, writing only on change. */
export class Reconciler {
  readonly inflight = new Set<string>();
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** apply reconciles one node's report; `full` (hello) also settles VMs the agent does not have. */
  async apply(node: NodeEntry, reports: readonly VmReport[], full: boolean): Promise<void> {
    const now = new Date().toISOString();
    const opts = { full, inflight: this.inflight, now };
    // a read-only pass first, so a quiet heartbeat costs no copy and no disk write
    if (reconcileNode(this.store.read(), node, reports, { ...opts, apply: false }).length === 0) return;
    let changes: string[] = [];
    await this.store.update((d) => {
      changes = reconcileNode(d, node, reports, { ...opts, apply: true });
    });
    this.log.info('node reconciled', { node_id: node.id, changes: changes.join(' ') });
  }
}
