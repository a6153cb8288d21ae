import type { Allocation } from '../placement/types.js';
import { randomUUID } from 'node:crypto';
import type { ResizeBody } from '../../api/lifecycle.js';
import { failpoint } from '../../shared/failpoint.js';
import type { Logger } from '../../shared/log.js';
import { parseOrThrow } from '../../shared/validation.js';
import type { BandConfig } from '../bands/index.js';
import type { ClaimBook } from '../claims/claim-book.js';
import type { VmIndex } from '../claims/vm-index.js';
import type { DryRunDetail, Placer } from '../placer/placer.js';
import type { KeptDiskRecord, VmRecord } from '../store/index.js';
import type { Notices, QuotaRefusal } from '../events/notices.js';
import { QuotaError, TenantGate } from '../tenants/index.js';
import { type TenantUsage, tenantUsage } from '../tenants/quota.js';
import { admit, allocateVmid, checkDiskSize, findIdempotent, hashRequest } from './admission.js';
import type { DryRunResult } from '../../api/placement.js';
import { NoCapacityError, VmError } from './errors.js';
import { largestNuma, reasonCounts, tenantDryRun, tenantReason } from './redact.js';
import { resolveVm } from './resolve.js';
import { resizeVm } from './resize.js';
import { type CreateVmRequest, CreateVmSchema } from './schema.js';
import type { Spawner } from './spawner.js';
import { domainName } from './spec-builder.js';
import { type VmView, viewVm } from './view.js';
import { decodeCursor, encodeCursor, type PageKey, pageOf, takePage } from './list-page.js';
import type { VmOrder } from './vm-order.js';
import { DEFAULT_READY_TIMEOUT_S, waitGuestReady } from './ready-wait.js';

/** VmListFilter narrows GET /v1/vms; every given field must match. */
export type VmListFilter = Partial<Record<'node' | 'tenant' | 'state' | 'tag', string>>;

/** Caller is who asks: the admin or one tenant. */
export type Caller = { kind: 'admin' } | { kind: 'tenant'; tenantId: string };

/** VmServiceOptions wires the service to its parts; every dependency is explicit. */
export interface VmServiceOptions {
  claims: ClaimBook;
  placer: Placer;
  spawner: Spawner;
  bands: BandConfig;
  /** log receives the steps no event covers: request received, destroy asked (none when absent) */
  log?: Logger;
  /** onPlacement receives each admission placement's duration and whether a node fitted (metrics) */
  onPlacement?: (seconds: number, ok: boolean) => void;
  /** vms (optional) are the create-path indexes; without them admission scans the store */
  vms?: VmIndex;
  /** order (optional) keeps VMs in page order and counted by state; without it list pages sort */
  order?: VmOrder;
  /** notices (optional) tells the bus about quota refusals, for webhooks */
  notices?: Notices;
}

/** CreateResult is the created (or idempotently found) VM and whether it is new. */
export interface CreateResult {
  vm: VmView;
  created: boolean;
}

interface CreateOptions {
  wait: boolean;
  idempotencyKey?: string;
  requestId: string;
  source: string;
}

/**
 * VmService admits VM requests — quota, VMID, idempotency, placement — and hands the claim to the
 * spawner; it changes no record itself (the claim book does).
 */
export class VmService {
  private readonly gate = new TenantGate();

  constructor(private readonly o: VmServiceOptions) {}

  /**
   * dryRun is the create's first half with nothing claimed and no seed taken: the same admission
   * (tenant, name, quota, VMID, band, name pattern) refuses with the same error the create would
   * throw, then placement shows where the VM would go and every node's reasons. The admin, who owns
   * no namespace, gets the fleet-wide checks only (VMID, band, pattern, placement). A tenant gets
   * only the verdict and one sentence (tenantDryRun): no nodes, pins or occupancy.
   */
  dryRun(body: unknown, caller: Caller, detail: DryRunDetail = 'auto'): DryRunResult {
    const req = parseOrThrow(CreateVmSchema, body, 'placement request');
    const state = this.o.claims.state();
    if (caller.kind === 'tenant') admit(state, caller.tenantId, req);
    const { vmid } = allocateVmid(this.o.bands, state, req);
    const { seed: _seed, ...result } = this.o.placer.dryRun(
      req,
      caller.kind === 'tenant' ? caller.tenantId : '_admin',
      detail,
    );
    if (caller.kind === 'tenant') return tenantDryRun(req, result, largestNuma(this.o.placer.hellos()), vmid);
    return result.ok ? { ...result, vmid } : { ...result, code: 'no_capacity' };
  }

  /** create claims under the tenant's gate, then spawns; with wait false it answers once the claim is durable. */
  async create(body: unknown, tenantId: string, opts: CreateOptions): Promise<CreateResult> {
    const req = parseOrThrow(CreateVmSchema, body, 'VM request');
    this.o.log?.info('vm create received', {
      tenant_id: tenantId,
      vm_name: domainName(tenantId, req.name),
      request_id: opts.requestId,
      vcpu_count: req.vcpu_count,
      memory_mb: req.memory_mb,
    });
    // The gate covers admission and the claim's in-memory update only, not its durable write: the
    // claim (and its idempotency record) is visible to the next admission the moment it is made,
    // and a write that fails takes every later batch down with it, so nothing admitted on top of
    // it survives. Holding the gate across the fdatasync would cap a tenant at one create per sync.
    const claimed = await this.noticeQuota(tenantId, opts.requestId, async () => {
      const gated = await this.gate.run(tenantId, async () => {
        // looked up under the gate, so two concurrent requests with one key cannot both miss it
        const existing = findIdempotent(this.o.claims.state(), tenantId, req, opts.idempotencyKey);
        return existing
          ? { vm: Promise.resolve(existing), created: false }
          : { vm: this.claim(tenantId, req, opts), created: true };
      });
      return { vm: await gated.vm, created: gated.created };
    });
    if (!claimed.created) return { vm: this.view(claimed.vm), created: false };
    failpoint('coordinator:claimed'); // fault tests: the claim is durable, the spawn never left
    const id = claimed.vm.id;
    const done = this.o.spawner.run(id, opts.requestId);
    if (!opts.wait) {
      done.catch(() => undefined);
      return { vm: this.view(this.o.claims.get(id) ?? claimed.vm), created: true };
    }
    const running = await done;
    if (req.wait_for !== 'ready') return { vm: this.view(running), created: true };
    const ready = await waitGuestReady((vmId) => this.o.claims.get(vmId) ?? undefined, running, {
      timeoutMs: (req.ready_timeout_s ?? DEFAULT_READY_TIMEOUT_S) * 1000,
    });
    return { vm: this.view(ready), created: true };
  }

  private claim(tenantId: string, req: CreateVmRequest, opts: CreateOptions): Promise<VmRecord> {
    const state = this.o.claims.state();
    admit(state, tenantId, req, this.o.vms);
    checkDiskSize(req, this.o.placer.imageSize(req.image));
    const id = randomUUID();
    // placement before the VMID: a tenant asking for a VMID another tenant holds gets the same
    // no_capacity a free VMID gets, so the answer tells nothing about other tenants' VMIDs
    const t0 = performance.now();
    const result = this.o.placer.place(req, tenantId, id, new Set());
    this.o.onPlacement?.((performance.now() - t0) / 1000, result.ok);
    if (!result.ok) {
      this.o.log?.info('vm placement refused', {
        tenant_id: tenantId,
        shortfall: result.shortfall,
        reasons: JSON.stringify(reasonCounts(result.passes)),
        request_id: opts.requestId,
      });
      const shape = largestNuma(this.o.placer.hellos());
      throw new NoCapacityError(
        result.passes,
        result.shortfall,
        tenantReason(req, result.shortfall, shape, result.passes),
      );
    }
    const { vmid, band } = allocateVmid(this.o.bands, state, req, this.o.vms);
    // placement above and the claim's store update run with no await in between: no claim interleaves
    return this.o.claims.claim({
      id,
      tenantId,
      req,
      vmid,
      ...(band ? { band } : {}),
      placed: { decision: result.decision, seed: result.seed },
      ...(opts.idempotencyKey ? { idempotency: { key: opts.idempotencyKey, hash: hashRequest(req) } } : {}),
      source: opts.source,
      requestId: opts.requestId,
    });
  }

  /** destroy stops and removes a VM on its node, then forgets it; another tenant's VM is not found. */
  async destroy(
    vmId: string,
    caller: Caller,
    source: string,
    opts: { keepDisk?: boolean; requestId?: string } = {},
  ): Promise<void> {
    const vm = this.visible(vmId, caller);
    const fields = {
      vm_id: vm.id,
      vm_name: domainName(vm.tenant, vm.name),
      vmid: vm.vmid,
      tenant_id: vm.tenant,
      node_id: vm.node_id,
      request_id: opts.requestId,
    };
    this.o.log?.info('vm destroy received', { ...fields, state: vm.state });
    if (vm.state === 'creating') {
      throw new VmError(
        'conflict',
        'Cannot destroy VM: it is still being created; retry once it is running or gone',
        { retryable: true },
      );
    }
    const keepDisk = opts.keepDisk ?? false;
    // a tenant keeping disks would leave files on the host that no quota counts
    if (keepDisk && caller.kind !== 'admin')
      throw new VmError('forbidden', 'Cannot keep the disks: keep_disk=true is admin-only');
    if (vm.node_id) {
      this.o.log?.info('vm destroy sent to node', fields);
      await this.o.spawner.destroyOnNode(vm, keepDisk, opts.requestId);
    }
    await this.o.claims.forget(vm, {
      keepDisk,
      source,
      ...(opts.requestId ? { requestId: opts.requestId } : {}),
    });
  }

  /** removeKept deletes a kept VM's disks on its node, then forgets the record (admin). */
  async removeKept(id: string): Promise<KeptDiskRecord> {
    const kept = this.o.claims.state().kept_disks ?? {};
    const rec = Object.hasOwn(kept, id) ? kept[id] : undefined;
    if (!rec) throw new VmError('not_found', 'Cannot find kept disks: no such record');
    await this.o.spawner.removeKeptOnNode(rec.node_id, rec.id);
    await this.o.claims.dropKept(rec.id);
    return rec;
  }

  /**
   * power stops (graceful, forced after timeoutMs), starts or reboots a VM on its node; the claim
   * (threads, memory, VMID) is kept while it is stopped, so a start never needs placing again.
   */
  async power(
    ref: string,
    caller: Caller,
    op: 'stop' | 'start' | 'reboot',
    opts: { source: string; requestId: string; timeoutMs: number },
  ): Promise<VmView> {
    const vm = this.visible(ref, caller);
    if (vm.state === 'creating' || !vm.node_id)
      throw new VmError(
        'conflict',
        `Cannot ${op} VM "${vm.name}": it is ${vm.state}; retry once it is running or stopped`,
        {
          retryable: vm.state === 'creating',
        },
      );
    const state = await this.o.spawner.powerOnNode(vm, op, opts.timeoutMs);
    const after = await this.o.claims.markPowered(vm.id, { op, state, source: opts.source }, opts.requestId);
    return this.view(after);
  }

  /** resize changes a stopped VM's vCPUs, memory and disk on its own node (./resize.ts). */
  async resize(
    ref: string,
    caller: Caller,
    ask: ResizeBody,
    opts: { source: string; requestId: string },
  ): Promise<VmView> {
    const vm = this.visible(ref, caller);
    const deps = { claims: this.o.claims, placer: this.o.placer, spawner: this.o.spawner };
    const run = () => this.gate.run(vm.tenant, () => resizeVm(deps, vm, ask, opts));
    return this.view(await this.noticeQuota(vm.tenant, opts.requestId, run));
  }

  /**
   * forgetOnNode drops every VM recorded on a node the registry holds as down or gone for good
   * (the admin's last resort: the host will not come back). Each forget is a vm.destroyed event,
   * so it is audited with its source.
   */
  async forgetOnNode(nodeId: string, nodeUp: boolean, source: string): Promise<string[]> {
    if (nodeUp)
      throw new VmError(
        'conflict',
        `Cannot forget the VMs of node "${nodeId}": it is up; destroy them instead`,
      );
    const vms = Object.values(this.o.claims.state().vms).filter((v) => v.node_id === nodeId);
    for (const vm of vms) await this.o.claims.forget(vm, { keepDisk: true, source });
    return vms.map((v) => v.id);
  }

  /** consoleLog is the tail of a VM's serial console, read from its node. */
  async consoleLog(vmId: string, caller: Caller, maxBytes: number): Promise<string> {
    const vm = this.visible(vmId, caller);
    if (!vm.node_id) throw new VmError('conflict', 'Cannot read the console: the VM is on no node');
    return this.o.spawner.consoleLogOnNode(vm, maxBytes);
  }

  /** get shows one VM the caller may see. */
  get(vmId: string, caller: Caller): VmView {
    return this.view(this.visible(vmId, caller));
  }

  /** list shows the caller's VMs (every VM for the admin), narrowed by node, tenant, state and tag. */
  list(caller: Caller, filter: VmListFilter = {}): VmView[] {
    return Object.values(this.o.claims.state().vms)
      .filter((v) => matches(v, caller, filter))
      .sort((a, b) => a.created_at.localeCompare(b.created_at))
      .map((v) => this.view(v))
      .filter((v) => filter.state === undefined || v.state === filter.state);
  }

  /**
   * page is one page of list(): up to `limit` VMs after `cursor` (a previous page's next_cursor),
   * oldest first, and the cursor of the next page (null at the end). See pageOf for stability.
   */
  page(
    caller: Caller,
    filter: VmListFilter,
    limit: number,
    cursor?: string,
  ): { vms: VmView[]; next_cursor: string | null } {
    const after = cursor === undefined ? null : decodeCursor(cursor);
    const keep = (v: VmRecord) => {
      if (!matches(v, caller, filter)) return null;
      const view = this.view(v);
      return filter.state === undefined || view.state === filter.state ? view : null;
    };
    const tenant = caller.kind === 'tenant' ? caller.tenantId : filter.tenant;
    const { items, next } =
      this.o.order && tenant === undefined
        ? takePage(this.ordered(after), keep, limit)
        : pageOf(
            tenant !== undefined && this.o.vms
              ? this.o.vms.tenantVms(tenant)
              : Object.values(this.o.claims.state().vms),
            keep,
            limit,
            after,
          );
    return { vms: items, next_cursor: next ? encodeCursor(next) : null };
  }

  /** countByState is how many VMs show each state (`unknown`: running on a down node), from VmOrder's counts. */
  countByState(): Record<string, number> | null {
    if (!this.o.order) return null;
    const out: Record<string, number> = {};
    for (const [node, states] of this.o.order.stateCounts()) {
      const entry = node === null ? undefined : this.o.placer.node(node);
      const down = node !== null && (!entry || entry.state === 'down');
      for (const [state, n] of states) {
        const shown = down && (state === 'running' || state === 'paused') ? 'unknown' : state;
        out[shown] = (out[shown] ?? 0) + n;
      }
    }
    return out;
  }

  /**
   * tenantUsage is what one tenant's VMs hold against its quota: from the create-path index when the
   * service has one (kept as the store changes), else summed over the store's VMs.
   */
  tenantUsage(tenantId: string): TenantUsage {
    if (this.o.vms) return this.o.vms.tenantUsage(tenantId);
    return tenantUsage(Object.values(this.o.claims.state().vms).filter((v) => v.tenant === tenantId));
  }

  /** claimsOf is the per-node claims lookup of the create-path index (undefined: scan the store). */
  claimsOf(): ((nodeId: string) => Allocation[]) | undefined {
    const index = this.o.vms;
    return index ? (id) => index.claimsOn(id) : undefined;
  }

  /** claimsVersionOf is the same index's per-node version: it moves whenever a VM record on the node changes. */
  claimsVersionOf(): ((nodeId: string) => string) | undefined {
    const index = this.o.vms;
    return index ? (id) => index.nodeVersion(id) : undefined;
  }

  private *ordered(after: PageKey | null): Generator<VmRecord> {
    const vms = this.o.claims.state().vms;
    for (const id of this.o.order?.idsAfter(after) ?? []) {
      const vm = vms[id];
      if (vm) yield vm;
    }
  }

  /** visible resolves any reference form (id, prefix, name, VMID, domain) among the caller's VMs. */
  visible(ref: string, caller: Caller): VmRecord {
    // another tenant's VM is indistinguishable from a missing one
    return resolveVm(Object.values(this.o.claims.state().vms), ref, caller);
  }

  /** noticeQuota runs fn; a quota refusal is also an event (quota.rejected) before it is rethrown. */
  private async noticeQuota<T>(tenantId: string, requestId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof QuotaError && this.o.notices)
        await this.o.notices
          .quotaRejected(tenantId, err.details as unknown as QuotaRefusal, requestId)
          .catch(() => undefined);
      throw err;
    }
  }

  private view(vm: VmRecord): VmView {
    return viewVm(vm, this.o.placer);
  }
}

/** matches applies the record-level filters: who may see it, tenant, node and tag. */
function matches(v: VmRecord, caller: Caller, filter: VmListFilter): boolean {
  return (
    (caller.kind === 'admin' || v.tenant === caller.tenantId) &&
    (filter.tenant === undefined || v.tenant === filter.tenant) &&
    (filter.node === undefined || v.node_id === filter.node) &&
    (filter.tag === undefined || v.tags.includes(filter.tag))
  );
}
