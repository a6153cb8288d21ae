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

/** ReportChange is one change a node's report makes to a VM record (plain values: drafts do not outlive update). */
export interface ReportChange {
  readonly kind: 'state' | 'lost' | 'released' | 'adopted' | 'guest' | 'reach';
  readonly vm_id: string;
  readonly vmid: number;
  readonly tenant_id: string;
  readonly name: string;
  /** state is the reported state for `state` changes, the guest's state for `guest` changes */
  readonly state: string;
  /** code says why a guest is unready (`guest` changes only) */
  readonly code?: string;
  /** reason says why a `paused` VM is paused (`state` changes to `paused` only) */
  readonly reason?: string;
}

/** describeChange renders a change as `id:state` or `id:kind`, for logs and tests. */
export function describeChange(c: ReportChange): string {
  return `${c.vm_id}:${c.kind === 'state' ? c.state : c.kind}`;
}

/**
 * reconcileNode brings the store in line with an agent's complete report of its VMs. `onNode` are
 * the ids the store holds on this node (an index; each is re-checked against the record).
 */
export function reconcileNode(
  draft: StoreState,
  node: Pick<NodeEntry, 'id'>,
  reports: readonly VmReport[],
  onNode: Iterable<string>,
  opts: ReconcileOptions,
): ReportChange[] {
  const changes: ReportChange[] = [];
  const byId = new Map(reports.map((r) => [r.vm_id, r]));
  for (const id of onNode) {
    const vm = draft.vms[id];
    if (!vm || vm.node_id !== node.id || opts.inflight.has(id)) continue;
    const report = byId.get(id);
    byId.delete(id);
    if (report) changes.push(...reachChanges(vm, report, opts.apply));
    if (report && (report.state !== vm.state || report.state_reason !== vm.state_reason)) {
      changes.push(stateChange(vm, report));
      if (opts.apply) applyState(vm, report, opts.now);
    } else if (!report && opts.full && vm.state !== 'lost') {
      changes.push(change(vm.state === 'creating' ? 'released' : 'lost', vm, vm.state));
      if (opts.apply) missing(draft, vm, opts.now);
    }
  }
  for (const report of byId.values()) {
    if (draft.vms[report.vm_id]) continue; // known VM recorded on another node: that node's report decides
    const vm = adopt(node.id, report, opts.now);
    if (opts.apply) draft.vms[report.vm_id] = vm;
    changes.push(change('adopted', vm, vm.state));
  }
  return changes;
}

/**
 * reachChanges applies what a report says of the VM's network and guest readiness: a new network,
 * or a guest status the node no longer reports (it cannot ask its guests), is a quiet `reach` change
 * (no event); a new guest state is a `guest` change.
 */
function reachChanges(vm: VmRecord, report: VmReport, apply: boolean): ReportChange[] {
  const out: ReportChange[] = [];
  if (report.network && !sameJson(report.network, vm.network)) {
    out.push(change('reach', vm, vm.state));
    if (apply) vm.network = report.network;
  }
  if (!report.guest && vm.guest) {
    out.push(change('reach', vm, vm.state));
    if (apply) delete vm.guest;
  }
  if (report.guest && !sameJson(report.guest, vm.guest)) {
    out.push({
      ...change('guest', vm, report.guest.state),
      ...(report.guest.code ? { code: report.guest.code } : {}),
    });
    if (apply) vm.guest = report.guest;
  }
  return out;
}

function stateChange(vm: VmRecord, report: VmReport): ReportChange {
  const reason = report.state === 'paused' ? report.state_reason : undefined;
  return { ...change('state', vm, report.state), ...(reason ? { reason } : {}) };
}

/** applyState records the reported state; a reason is kept only while the VM is paused. */
function applyState(vm: VmRecord, report: VmReport, now: string): void {
  Object.assign(vm, { state: report.state, updated_at: now });
  if (report.state === 'paused' && report.state_reason) vm.state_reason = report.state_reason;
  else delete vm.state_reason;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function change(kind: ReportChange['kind'], vm: VmRecord, state: string): ReportChange {
  return { kind, vm_id: vm.id, vmid: vm.vmid, tenant_id: vm.tenant, name: vm.name, state };
}

/** missing handles a VM the node no longer has: a half-made one is released, a made one is lost. */
function missing(draft: StoreState, vm: VmRecord, now: string): void {
  if (vm.state === 'creating') forgetVm(draft, vm.id);
  else Object.assign(vm, { state: 'lost', updated_at: now });
}

/**
 * adopt quarantines a VM the coordinator never created (spawned locally by an operator, or claimed
 * by a lying node): admin-only ADOPTED_TENANT whatever tenant the node claims, tagged `foreign`,
 * and VMID 0 so it never takes a tenant's VMID nor counts in a band. What the node claimed is kept
 * as tags for the operator.
 */
export function adopt(nodeId: string, r: VmReport, now: string): VmRecord {
  return {
    id: r.vm_id,
    tenant: ADOPTED_TENANT,
    name: r.name,
    vmid: 0,
    tags: [
      'foreign',
      ...(r.tenant ? [`reported-tenant=${r.tenant}`] : []),
      ...(r.vmid !== undefined ? [`reported-vmid=${r.vmid}`] : []),
    ],
    request: null,
    state: r.state,
    ...(r.state === 'paused' && r.state_reason ? { state_reason: r.state_reason } : {}),
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
 * NodeIndex maps node → VM ids, rebuilt once per store write, so a quiet heartbeat costs
 * O(VMs on that node), not O(all VMs).
 */
export class NodeIndex {
  private index = { writes: -1, byNode: new Map<string, string[]>() };

  constructor(private readonly store: Store) {}

  /** idsOn lists the VM ids the store holds on one node. */
  idsOn(nodeId: string): string[] {
    // VMs recorded since the last write are claims (in-flight) or adoptions: none needs settling yet
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
