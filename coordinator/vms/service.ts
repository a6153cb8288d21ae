import { createHash, randomUUID } from 'node:crypto';
import { failpoint } from '../../shared/failpoint.js';
import type { Logger } from '../../shared/log.js';
import { parseOrThrow } from '../../shared/validation.js';
import type { AuditLog } from '../audit/index.js';
import { allocate, type BandConfig, checkName, findBand } from '../bands/index.js';
import type { AgentLinkServer } from '../link/server.js';
import { newRequestId } from '../link/server.js';
import { placeVm } from '../placement/index.js';
import type { PlacementConfig, PlacementRequest, PlacementResult } from '../placement/types.js';
import type { NodeRegistry } from '../registry/registry.js';
import { idempotencyKey, type Store, type StoreState, type VmRecord } from '../store/index.js';
import { checkQuota, TenantGate } from '../tenants/index.js';
import { NoCapacityError, VmError } from './errors.js';
import { placementNodes } from './fleet-view.js';
import { affinityGroup, forgetVm, toPlacement } from './records.js';
import { type CreateVmRequest, CreateVmSchema } from './schema.js';
import { Spawner } from './spawner.js';
import { type VmView, viewVm } from './view.js';

/** Caller is who asks: the admin or one tenant. */
export type Caller = { kind: 'admin' } | { kind: 'tenant'; tenantId: string };

/** VmServiceOptions wires the service to its parts; every dependency is explicit. */
export interface VmServiceOptions {
  store: Store;
  registry: NodeRegistry;
  link: AgentLinkServer;
  audit: AuditLog;
  bands: BandConfig;
  placement: PlacementConfig;
  log: Logger;
  /** inflight holds VMs this process is spawning right now, so reconciliation leaves them alone */
  inflight: Set<string>;
  spawnTimeoutMs?: number;
  maxAttempts?: number;
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

/** VmService is the coordinator's VM controller: quota, VMID, placement, claims, agent calls, audit. */
export class VmService {
  private readonly gate = new TenantGate();
  private readonly spawner: Spawner;
  private seq = 0;

  constructor(private readonly o: VmServiceOptions) {
    this.spawner = new Spawner(o, this);
  }

  /** dryRun shows where a VM would go and every node's reasons, claiming nothing. */
  dryRun(body: unknown, caller: Caller): PlacementResult {
    const req = parseOrThrow(CreateVmSchema, body, 'placement request');
    return this.place(req, caller.kind === 'tenant' ? caller.tenantId : '_admin', 'dry-run', new Set());
  }

  /** create claims under the tenant's gate, then spawns; with wait false it answers once the claim is durable. */
  async create(body: unknown, tenantId: string, opts: CreateOptions): Promise<CreateResult> {
    const req = parseOrThrow(CreateVmSchema, body, 'VM request');
    const claimed = await this.gate.run(tenantId, async () => {
      // looked up under the gate, so two concurrent requests with one key cannot both miss it
      const existing = this.idempotent(tenantId, req, opts.idempotencyKey);
      return existing
        ? { vm: existing, created: false }
        : { vm: await this.claim(tenantId, req, opts), created: true };
    });
    if (!claimed.created) return { vm: this.view(claimed.vm), created: false };
    failpoint('coordinator:claimed'); // fault tests: the claim is durable, the spawn never left
    const id = claimed.vm.id;
    const done = this.spawner.run(id, opts.requestId).finally(() => this.o.inflight.delete(id));
    if (!opts.wait) {
      done.catch(() => undefined);
      return { vm: this.view(this.o.store.read().vms[id] ?? claimed.vm), created: true };
    }
    return { vm: this.view(await done), created: true };
  }

  private idempotent(tenantId: string, req: CreateVmRequest, key: string | undefined): VmRecord | null {
    if (!key) return null;
    const state = this.o.store.read();
    const rec = state.idempotency[idempotencyKey(tenantId, key)];
    if (!rec) return null;
    if (rec.request_hash !== hashRequest(req)) {
      throw new VmError(
        'idempotency_key_reused',
        'Cannot reuse Idempotency-Key: it was used with a different body',
      );
    }
    return state.vms[rec.vm_id] ?? null;
  }

  private async claim(tenantId: string, req: CreateVmRequest, opts: CreateOptions): Promise<VmRecord> {
    const state = this.o.store.read();
    this.admit(state, tenantId, req);
    const { vmid, band } = this.allocateVmid(state, req);
    const id = randomUUID();
    const result = this.place(req, tenantId, id, new Set());
    if (!result.ok) throw new NoCapacityError(result.passes);
    const generation = this.o.registry.bump(result.decision.node_id);
    const now = new Date().toISOString();
    const vm: VmRecord = {
      id,
      tenant: tenantId,
      name: req.name,
      vmid,
      ...(band ? { band: band.name } : {}),
      tags: [...new Set([...(band?.tags ?? []), ...req.tags])],
      request: req,
      state: 'creating',
      node_id: result.decision.node_id,
      placement: toPlacement(req, tenantId, result.decision, generation),
      created_at: now,
      updated_at: now,
    };
    // placement above and this mutator run with no await in between, so no other claim can interleave;
    // inflight is set in the same step so a hello arriving meanwhile cannot release the fresh claim
    this.o.inflight.add(id);
    await this.o.store
      .update((d) => {
        d.vms[id] = vm;
        if (opts.idempotencyKey) {
          d.idempotency[idempotencyKey(tenantId, opts.idempotencyKey)] = {
            vm_id: id,
            request_hash: hashRequest(req),
            created_at: now,
          };
        }
      })
      .catch((err) => {
        this.o.inflight.delete(id);
        throw err;
      });
    await this.o.audit.append({
      tenant: tenantId,
      vm: id,
      op: 'vm.create',
      source: opts.source,
      result: 'claimed',
    });
    this.o.log.info('vm claimed', {
      vm_id: id,
      vmid,
      tenant_id: tenantId,
      node_id: vm.node_id,
      request_id: opts.requestId,
    });
    return vm;
  }

  /** admit checks the tenant exists, the name is free in its namespace and the quota has room. */
  private admit(state: StoreState, tenantId: string, req: CreateVmRequest): void {
    const tenant = state.tenants[tenantId];
    if (!tenant) throw new VmError('not_found', 'Cannot find tenant');
    const own = Object.values(state.vms).filter((v) => v.tenant === tenantId);
    if (own.some((v) => v.name === req.name))
      throw new VmError('name_in_use', 'Cannot create VM: the name is in use');
    checkQuota(tenant, own, req);
  }

  private allocateVmid(state: StoreState, req: CreateVmRequest) {
    const used = new Set(Object.values(state.vms).map((v) => v.vmid));
    const alloc = allocate(this.o.bands, used, {
      ...(req.vmid_band !== undefined ? { band: req.vmid_band } : {}),
      ...(req.vmid !== undefined ? { vmid: req.vmid } : {}),
    });
    const band = alloc.band === undefined ? undefined : findBand(this.o.bands, alloc.band);
    if (band) checkName(band, req.name);
    return { vmid: alloc.vmid, band };
  }

  /** place runs placement over the live fleet; nodes in `exclude` already refused this VM. */
  place(req: CreateVmRequest, tenantId: string, vmId: string, exclude: ReadonlySet<string>): PlacementResult {
    const nodes = placementNodes(this.o.registry.list(), this.o.store.read()).map((n) =>
      exclude.has(n.id) ? { ...n, alive: false } : n,
    );
    const request: PlacementRequest = {
      vm_id: vmId,
      vcpu_count: req.vcpu_count,
      memory_mb: req.memory_mb,
      cpu_policy: req.placement.cpu_policy,
      requires_kvm: req.placement.requires_kvm,
      allow_reserved: req.placement.allow_reserved,
      anti_affinity_group: affinityGroup(tenantId, req.placement.anti_affinity_group),
      image: req.image,
    };
    return placeVm(nodes, request, { ...this.o.placement, seed: this.o.placement.seed + this.seq++ });
  }

  /** destroy stops and removes a VM on its node, then forgets it; another tenant's VM is not found. */
  async destroy(
    vmId: string,
    caller: Caller,
    source: string,
    opts: { keepDisk?: boolean } = {},
  ): Promise<void> {
    const vm = this.visible(vmId, caller);
    if (vm.state === 'creating') {
      throw new VmError(
        'conflict',
        'Cannot destroy VM: it is still being created; retry once it is running or gone',
        {
          retryable: true,
        },
      );
    }
    if (vm.node_id) await this.destroyOnNode(vm, opts.keepDisk ?? false);
    await this.o.store.update((d) => forgetVm(d, vmId));
    if (vm.node_id) this.o.registry.bump(vm.node_id);
    await this.o.audit.append({
      tenant: vm.tenant,
      vm: vmId,
      op: 'vm.destroy',
      source,
      result: opts.keepDisk ? 'ok:disk-kept' : 'ok',
    });
  }

  private async destroyOnNode(vm: VmRecord, keepDisk: boolean): Promise<void> {
    const msg = { type: 'destroy', request_id: newRequestId(), vm_id: vm.id, keep_disk: keepDisk } as const;
    const answer = await this.o.link.request(vm.node_id!, msg, 60_000);
    if (answer.ok || answer.error?.code === 'vm_not_found') return;
    this.o.log.warn('destroy refused by node', {
      vm_id: vm.id,
      node_id: vm.node_id,
      error_code: answer.error?.code,
      agent_message: answer.error?.message,
    });
    throw new VmError(
      'conflict',
      `Cannot destroy VM "${vm.name}": the node refused (${answer.error?.code ?? 'unknown'})`,
      {
        details: { agent_error: { code: answer.error?.code } },
      },
    );
  }

  /** get shows one VM the caller may see. */
  get(vmId: string, caller: Caller): VmView {
    return this.view(this.visible(vmId, caller));
  }

  /** list shows the caller's VMs (every VM for the admin). */
  list(caller: Caller): VmView[] {
    return Object.values(this.o.store.read().vms)
      .filter((v) => caller.kind === 'admin' || v.tenant === caller.tenantId)
      .sort((a, b) => a.created_at.localeCompare(b.created_at))
      .map((v) => this.view(v));
  }

  private visible(vmId: string, caller: Caller): VmRecord {
    const vm = this.o.store.read().vms[vmId];
    // another tenant's VM is indistinguishable from a missing one
    if (!vm || (caller.kind === 'tenant' && vm.tenant !== caller.tenantId)) {
      throw new VmError('not_found', 'Cannot find VM: no such VM');
    }
    return vm;
  }

  /** mustGet reads a VM record that the caller knows exists. */
  mustGet(vmId: string): VmRecord {
    const vm = this.o.store.read().vms[vmId];
    if (!vm) throw new VmError('not_found', 'Cannot find VM: it was removed');
    return vm;
  }

  private view(vm: VmRecord): VmView {
    return viewVm(vm, this.o.registry);
  }
}

function hashRequest(req: CreateVmRequest): string {
  return createHash('sha256').update(JSON.stringify(req)).digest('hex');
}
