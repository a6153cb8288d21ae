import type { Logger } from '../../shared/log.js';
import type { VmReport } from '../../shared/protocol.js';
import type { NodeEntry } from '../registry/registry.js';
import type { Store, StoreState, VmRecord } from '../store/index.js';
import { forgetVm } from './records.js';

/** ADOPTED_TENANT owns VMs a node reports that the coordinator never created (admin-only). */
export const ADOPTED_TENANT = '_local';

/** ReconcileOptions: `full` settles VMs missing from the report; `apply` false only counts changes. */
export interface ReconcileOptions {
  readonly full: boolean;
  readonly inflight: ReadonlySet<string>;
  readonly now: string;
  readonly apply: boolean;
}

/**
 * reconcileNode brings the store in line with an agent's complete report of its VMs. `onNode` are
 * the ids the store holds on this node (an index; each is re-checked against the record).
 */
export function reconcileNode(
  draft: StoreState,
  node: NodeEntry,
  reports: readonly VmReport[],
  onNode: Iterable<string>,
  opts: ReconcileOptions,
): string[] {
  const changes: string[] = [];
  const byId = new Map(reports.map((r) => [r.vm_id, r]));
  for (const id of onNode) {
    const vm = draft.vms[id];
    if (!vm || vm.node_id !== node.id || opts.inflight.has(id)) continue;
    const report = byId.get(id);
    byId.delete(id);
    if (report && report.state !== vm.state) {
      changes.push(`${id}:${report.state}`);
      if (opts.apply) Object.assign(vm, { state: report.state, updated_at: opts.now });
    } else if (!report && opts.full) {
      changes.push(opts.apply ? missing(draft, vm, opts.now) : `${id}:missing`);
    }
  }
  for (const report of byId.values()) {
    if (draft.vms[report.vm_id]) continue; // known VM recorded on another node: that node's report decides
    if (opts.apply) draft.vms[report.vm_id] = adopt(node.id, report, usedVmids(draft), opts.now);
    changes.push(`${report.vm_id}:adopted`);
  }
  return changes;
}

/** missing handles a VM the node no longer has: a half-made one is released, a made one is lost. */
function missing(draft: StoreState, vm: VmRecord, now: string): string {
  if (vm.state === 'creating') {
    forgetVm(draft, vm.id);
    return `${vm.id}:released`;
  }
  vm.state = 'lost';
  vm.updated_at = now;
  return `${vm.id}:lost`;
}

function usedVmids(draft: StoreState): Set<number> {
  return new Set(Object.values(draft.vms).map((v) => v.vmid));
}

/**
 * adopt records a VM the coordinator never created (spawned locally by an operator). It goes to the
 * admin-only ADOPTED_TENANT whatever tenant the node claims: a node must not write into a tenant's
 * namespace; the claimed tenant is kept as a tag for the operator.
 */
function adopt(nodeId: string, r: VmReport, used: Set<number>, now: string): VmRecord {
  return {
    id: r.vm_id,
    tenant: ADOPTED_TENANT,
    name: r.name,
    // a VMID already taken here stays unrecorded (0) rather than colliding
    vmid: r.vmid !== undefined && !used.has(r.vmid) ? r.vmid : 0,
    tags: ['adopted', ...(r.tenant ? [`reported-tenant=${r.tenant}`] : [])],
    request: null,
    state: r.state,
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

/**
 * Reconciler applies agents' reports (hello and every heartbeat carry the complete VM list) to the
 * store, writing only on change. It keeps a node → VM ids index, rebuilt once per store write, so a
 * quiet heartbeat costs O(VMs on that node), not O(all VMs).
 */
export class Reconciler {
  readonly inflight = new Set<string>();
  private index = { writes: -1, byNode: new Map<string, string[]>() };

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** apply reconciles one node's complete report. */
  async apply(node: NodeEntry, reports: readonly VmReport[]): Promise<void> {
    const opts = { full: true, inflight: this.inflight, now: new Date().toISOString() };
    const ids = this.idsOn(node.id);
    if (reconcileNode(this.store.read(), node, reports, ids, { ...opts, apply: false }).length === 0) return;
    let changes: string[] = [];
    await this.store.update((d) => {
      changes = reconcileNode(d, node, reports, this.idsOn(node.id), { ...opts, apply: true });
    });
    this.log.info('node reconciled', { node_id: node.id, changes: changes.join(' ') });
  }

  private idsOn(nodeId: string): string[] {
    // VMs recorded since the last write are claims (in `inflight`) or adoptions: none needs settling yet
    if (this.index.writes !== this.store.writes) {
      const byNode = new Map<string, string[]>();
      for (const vm of Object.values(this.store.read().vms)) {
        if (!vm.node_id) continue;
        const list = byNode.get(vm.node_id);
        if (list) list.push(vm.id);
        else byNode.set(vm.node_id, [vm.id]);
      }
      this.index = { writes: this.store.writes, byNode };
    }
    return this.index.byNode.get(nodeId) ?? [];
  }
}
