import type { EventInput } from '../../shared/events.js';
import type { GuestStatusReport, VmNetwork, VmReport } from '../../shared/protocol.js';
import type { EventBus } from '../events/bus.js';
import type { Decision } from '../placement/types.js';
import type { NodeEntry } from '../registry/registry.js';
import { idempotencyKey, type Store, type StoreState, type VmRecord } from '../store/index.js';
import { ClaimError } from './errors.js';
import { codeOf, durably } from './durably.js';
import type { VmIndex } from './vm-index.js';
import { describeChange, NodeIndex, type ReportChange, reconcileNode } from './reconcile.js';
import { type ClaimRequest, forgetVm, keptDiskOf, type Reshape, reshapeVm, toPlacement } from './records.js';

/** Placed is a placement decision with the tie-break seed that made it (replay it with that seed). */
export interface Placed {
  readonly decision: Decision;
  readonly seed: number;
}

/** ClaimInput is everything admission decided for a new VM: who, what, which VMID and where. */
export interface ClaimInput {
  readonly id: string;
  readonly tenantId: string;
  readonly req: ClaimRequest;
  readonly vmid: number;
  readonly band?: { readonly name: string; readonly tags?: readonly string[] | undefined };
  readonly placed: Placed;
  readonly idempotency?: { readonly key: string; readonly hash: string };
  readonly source: string;
  readonly requestId: string;
}

/** ClaimBookOptions wires the book to the store it owns the VM records of and the bus it reports to. */
export interface ClaimBookOptions {
  store: Store;
  bus: EventBus;
  now?: () => Date;
  /** vms (optional) index the store: node reports then skip work when nothing changed */
  vms?: VmIndex;
}

/** LastReport is what a node's previous report was checked against. */
interface LastReport {
  readonly key: string;
  readonly version: string;
  readonly inflight: number;
}

/**
 * ClaimBook is the one owner of every VM record change: claims, re-placements, running, releases,
 * destroys and what nodes report. Each change is written durably first, then emitted once on the
 * bus; the emit resolves when durable subscribers (the audit log) are done. It also keeps the set of
 * VMs this process is spawning right now, which node reports leave alone.
 */
export class ClaimBook {
  private readonly inflight = new Set<string>();
  private inflightVersion = 0;
  private readonly lastReports = new Map<string, LastReport>();
  private readonly index: Pick<NodeIndex, 'idsOn'>;
  private readonly now: () => Date;

  constructor(private readonly o: ClaimBookOptions) {
    this.index = o.vms ?? new NodeIndex(o.store);
    this.now = o.now ?? (() => new Date());
  }

  /** state is the live store state, for reads (never mutate it). */
  state(): StoreState {
    return this.o.store.read();
  }

  /** get returns one VM record, or null; ids are own keys only (`constructor` finds nothing). */
  get(vmId: string): VmRecord | null {
    return Object.hasOwn(this.state().vms, vmId) ? (this.state().vms[vmId] ?? null) : null;
  }

  /** isInflight says whether this process is spawning the VM right now. */
  isInflight(vmId: string): boolean {
    return this.inflight.has(vmId);
  }

  /**
   * claim records a new VM holding its placement. It reaches the store update without awaiting, so
   * a caller that placed just before cannot be interleaved; the VM is in flight from that same step
   * so a hello arriving meanwhile cannot release the fresh claim. Call finish() when spawning ends.
   */
  async claim(c: ClaimInput): Promise<VmRecord> {
    const at = this.now().toISOString();
    const vm: VmRecord = {
      id: c.id,
      tenant: c.tenantId,
      name: c.req.name,
      vmid: c.vmid,
      ...(c.band ? { band: c.band.name } : {}),
      tags: [...new Set([...(c.band?.tags ?? []), ...c.req.tags])],
      request: c.req,
      state: 'creating',
      node_id: c.placed.decision.node_id,
      placement: toPlacement(c.req, c.tenantId, c.placed.decision),
      created_at: at,
      updated_at: at,
    };
    this.inflight.add(c.id);
    this.inflightVersion++;
    const written = this.o.store.update((d) => {
      d.vms[c.id] = vm;
      if (c.idempotency)
        d.idempotency[idempotencyKey(c.tenantId, c.idempotency.key)] = {
          vm_id: c.id,
          request_hash: c.idempotency.hash,
          created_at: at,
        };
    });
    const outcome = await durably(this.o.store, written, () =>
      this.emit(vm, { type: 'vm.claimed', source: c.source }, c.requestId),
    );
    if (outcome.kind !== 'ok') {
      this.inflight.delete(c.id);
      this.inflightVersion++;
    }
    if (outcome.kind === 'write_failed') {
      // the audit may already hold `claimed` (written alongside): record that the claim did not stand
      if (outcome.audited)
        await this.emit(vm, { type: 'vm.failed', code: codeOf(outcome.err) }).catch(() => undefined);
      throw outcome.err;
    }
    if (outcome.kind === 'audit_failed') {
      // the audit entry could not be written: the claim must not stand without it
      await this.o.store.update((d) => forgetVm(d, c.id));
      throw outcome.err;
    }
    await this.emitPlaced(vm, c.placed, 1, c.requestId);
    return vm;
  }

  /** reclaim moves a claim to the node placement chose on a later attempt. */
  async reclaim(vmId: string, placed: Placed, attempt: number, requestId: string): Promise<VmRecord> {
    const at = this.now().toISOString();
    await this.o.store.update((d) => {
      const rec = d.vms[vmId];
      if (!rec) return;
      rec.node_id = placed.decision.node_id;
      rec.placement = toPlacement(rec.request as ClaimRequest, rec.tenant, placed.decision);
      rec.updated_at = at;
    });
    const vm = this.mustGet(vmId);
    await this.emitPlaced(vm, placed, attempt, requestId);
    return vm;
  }

  /** spawning reports that the spawn message is leaving for the VM's node (no record change). */
  spawning(vm: VmRecord, attempt: number, requestId: string): Promise<void> {
    return this.emit(vm, { type: 'vm.spawning', attempt }, requestId);
  }

  /** markRunning records that the node answered the spawn with a running VM. */
  async markRunning(
    vmId: string,
    requestId: string,
    reach: { network?: VmNetwork | undefined; guest?: GuestStatusReport | undefined } = {},
  ): Promise<VmRecord> {
    const at = this.now().toISOString();
    const { network, guest } = reach;
    const written = this.o.store.update((d) => {
      const rec = d.vms[vmId];
      if (rec)
        Object.assign(
          rec,
          { state: 'running', updated_at: at },
          network ? { network } : {},
          guest ? { guest } : {},
        );
    });
    // the node runs the VM whatever happens to this write: the entry is true even if the write fails
    const vm = this.get(vmId);
    const outcome = await durably(this.o.store, written, () =>
      vm ? this.emit(vm, { type: 'vm.running', via: 'spawn' }, requestId) : Promise.resolve(),
    );
    if (outcome.kind !== 'ok') throw outcome.err;
    return this.mustGet(vmId);
  }

  /** release forgets a VM that never ran: its claim, VMID and idempotency key go with it. */
  async release(vmId: string, code: string, requestId: string): Promise<void> {
    const vm = this.get(vmId);
    if (!vm) return;
    await this.o.store.update((d) => forgetVm(d, vmId));
    await this.emit(vm, { type: 'vm.failed', code }, requestId);
    await this.emit(vm, { type: 'vm.released', reason: 'spawn_failed' }, requestId);
  }

  /** forget drops a VM its node has destroyed (or that had no node). */
  async forget(vm: VmRecord, opts: { keepDisk: boolean; source: string; requestId?: string }): Promise<void> {
    const at = this.now().toISOString();
    await this.o.store.update((d) => {
      forgetVm(d, vm.id);
      // files left on a node are recorded in the same write, so none is ever untracked
      if (opts.keepDisk && vm.node_id) {
        d.kept_disks ??= {};
        d.kept_disks[vm.id] = keptDiskOf(vm, vm.node_id, at);
      }
    });
    await this.emit(
      vm,
      { type: 'vm.destroyed', source: opts.source, keep_disk: opts.keepDisk },
      opts.requestId,
    );
  }

  /** dropKept forgets a kept-disk record once its node removed the files. */
  async dropKept(id: string): Promise<void> {
    await this.o.store.update((d) => {
      if (d.kept_disks) delete d.kept_disks[id];
    });
  }

  /** markPowered records a VM's state after an operator's stop, start or reboot answered by its node. */
  async markPowered(
    vmId: string,
    p: { op: 'stop' | 'start' | 'reboot'; state: VmRecord['state']; source: string },
    requestId: string,
  ): Promise<VmRecord> {
    const at = this.now().toISOString();
    await this.o.store.update((d) => {
      const rec = d.vms[vmId];
      if (rec) Object.assign(rec, { state: p.state, updated_at: at });
      // a start resumes a paused VM: why it was paused no longer holds (the next report says if it still is)
      if (rec && p.state !== 'paused') delete rec.state_reason;
    });
    const vm = this.mustGet(vmId);
    await this.emit(vm, { type: 'vm.power', op: p.op, state: p.state, source: p.source }, requestId);
    return vm;
  }

  /** resized records a resize its node carried out: new sizes and the claim re-placed on the same node. */
  async resized(vmId: string, r: Reshape, source: string, requestId: string): Promise<VmRecord> {
    const at = this.now().toISOString();
    await this.o.store.update((d) => {
      const rec = d.vms[vmId];
      if (rec) reshapeVm(rec, r, at);
    });
    const vm = this.mustGet(vmId);
    const { decision: _d, ...sizes } = r;
    await this.emit(vm, { type: 'vm.resized', ...sizes, numa_node: r.decision.numa_node, source }, requestId);
    return vm;
  }

  /** purgeNode forgets every VM recorded on a node gone for good (admin); nothing is sent to the node. */
  async purgeNode(nodeId: string, source: string): Promise<number> {
    const gone = Object.values(this.state().vms).filter((v) => v.node_id === nodeId);
    if (!gone.length) return 0;
    await this.o.store.update((d) => {
      for (const vm of gone) forgetVm(d, vm.id);
    });
    for (const vm of gone)
      await this.emit(vm, { type: 'vm.destroyed', source: `purge ${source}`, keep_disk: false });
    return gone.length;
  }

  /** finish ends a spawn: node reports may settle the VM again. */
  finish(vmId: string): void {
    this.inflight.delete(vmId);
    this.inflightVersion++;
  }

  /**
   * unchanged says that reconciling the report named `key` (a v2 digest) would change nothing: the
   * same report was last found settled against the same records and in-flight spawns. Synchronous,
   * so a heartbeat that changes nothing costs no promise.
   */
  unchanged(nodeId: string, key: string): boolean {
    const last = this.lastReports.get(nodeId);
    const vms = this.o.vms;
    return (
      vms !== undefined &&
      last?.key === key &&
      last.version === vms.nodeVersion(nodeId) &&
      last.inflight === this.inflightVersion
    );
  }

  /**
   * reconcile applies a node's complete VM report, writing only on change; returns the changes.
   * `digest` (v2 agents) names the report, so an unchanged one is recognised without reading it.
   */
  async reconcile(
    node: Pick<NodeEntry, 'id'>,
    reports: readonly VmReport[],
    digest?: string,
  ): Promise<string[]> {
    // the same report against the same records and in-flight set changes nothing: skip the walk
    const key = digest ?? reportKey(reports);
    if (this.unchanged(node.id, key)) return [];
    const vms = this.o.vms;
    const seen = { key, inflight: this.inflightVersion };
    const opts = {
      full: true,
      inflight: this.inflight,
      now: this.now().toISOString(),
    };
    const dry = reconcileNode(this.state(), node, reports, this.index.idsOn(node.id), {
      ...opts,
      apply: false,
    });
    if (dry.length === 0) {
      if (vms) this.lastReports.set(node.id, { ...seen, version: vms.nodeVersion(node.id) });
      return [];
    }
    this.lastReports.delete(node.id);
    let changes: ReportChange[] = [];
    await this.o.store.update((d) => {
      changes = reconcileNode(d, node, reports, this.index.idsOn(node.id), { ...opts, apply: true });
    });
    for (const c of changes) if (c.kind !== 'reach') await this.o.bus.emit(reportEvent(c, node.id));
    return changes.map(describeChange);
  }

  private mustGet(vmId: string): VmRecord {
    const vm = this.get(vmId);
    if (!vm) throw new ClaimError('not_found', 'Cannot find VM: it was removed');
    return vm;
  }

  private emitPlaced(vm: VmRecord, placed: Placed, attempt: number, requestId: string): Promise<void> {
    const d = placed.decision;
    return this.emit(
      vm,
      { type: 'vm.placed', numa_node: d.numa_node, pass: d.pass, seed: placed.seed, attempt },
      requestId,
    );
  }

  private emit(vm: VmRecord, e: VmEventBody, requestId?: string): Promise<void> {
    return this.o.bus.emit({
      vm_id: vm.id,
      vmid: vm.vmid,
      tenant_id: vm.tenant,
      name: vm.name,
      node_id: vm.node_id,
      ...(requestId ? { request_id: requestId } : {}),
      ...e,
    } as EventInput);
  }
}

/** reportKey is what reconcile reads of a report: which VMs, in which state (adoption reads more, once). */
function reportKey(reports: readonly VmReport[]): string {
  let key = '';
  for (const r of reports) {
    // guest readiness and addresses change while the state stays `running`: they are part of the key
    const reach = r.guest || r.network ? JSON.stringify([r.guest, r.network]) : '';
    key += `${r.vm_id}\u0000${r.state}\u0000${r.state_reason ?? ''}\u0000${reach}\u0001`;
  }
  return key;
}

type VmEventBody = { type: `vm.${string}` } & Record<string, unknown>;

function reportEvent(c: ReportChange, nodeId: string): EventInput {
  const ids = { vm_id: c.vm_id, vmid: c.vmid, tenant_id: c.tenant_id, name: c.name, node_id: nodeId };
  if (c.kind === 'lost') return { type: 'vm.lost', ...ids };
  if (c.kind === 'adopted') return { type: 'vm.adopted', ...ids };
  if (c.kind === 'released') return { type: 'vm.released', reason: 'node_report', ...ids };
  if (c.kind === 'guest') {
    const state = c.state as GuestStatusReport['state'];
    return { type: 'vm.guest', state, ...(c.code ? { code: c.code } : {}), ...ids };
  }
  if (c.state === 'running') return { type: 'vm.running', via: 'report', ...ids };
  return { type: 'vm.reported', state: c.state, ...(c.reason ? { reason: c.reason } : {}), ...ids };
}
