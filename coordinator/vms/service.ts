import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '../../shared/log.js';
import { isVmpoolError } from '../../shared/errors.js';
import { parseOrThrow } from '../../shared/validation.js';
import { placeVm } from '../placement/index.js';
import type { PlacementConfig, PlacementRequest, PlacementResult } from '../placement/types.js';
import type { NodeRegistry } from '../registry/registry.js';
import type { AgentLinkServer } from '../link/server.js';
import { newRequestId } from '../link/server.js';
import { type Store, type VmRecord, idempotencyKey } from '../store/index.js';
import type { AuditLog } from '../audit/index.js';
import { type BandConfig, allocate, checkName, findBand } from '../bands/index.js';
import { TenantGate, checkQuota } from '../tenants/index.js';
import { NoCapacityError, VmError } from './errors.js';
import { placementNodes } from './fleet-view.js';
import { CreateVmSchema, type CreateVmRequest } from './schema.js';
import { buildSpawnSpec } from './spec-builder.js';
import { viewVm, type VmView } from './view.js';

/** Caller is who asks: the admin or one tenant, plus request metadata for the audit log. */
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

/** VmService is the coordinator's VM controller: quota, VMID, placement, claims, agent calls, audit. */
export class VmService {
  private readonly gate = new TenantGate();
  private seq = 0;

  constructor(private readonly o: VmServiceOptions) {}

  /** dryRun shows where a VM would go and every node's reasons, claiming nothing. */
  dryRun(body: unknown, caller: Caller): PlacementResult {
    const req = parseOrThrow(CreateVmSchema, body, 'placement request');
    return this.place(req, `dry-run-${caller.kind}`, new Set());
  }

  /** create runs the whole spawn; with wait false it returns once the claim is durable. */
  async create(
    body: unknown,
    tenantId: string,
    opts: { wait: boolean; idempotencyKey?: string; requestId: string; source: string },
  ): Promise<CreateResult> {
    const req = parseOrThrow(CreateVmSchema, body, 'VM request');
    const existing = this.idempotent(tenantId, req, opts.idempotencyKey);
    if (existing) return { vm: this.view(existing), created: false };
    const vm = await this.gate.run(tenantId, () => this.claim(tenantId, req, opts));
    this.o.inflight.add(vm.id);
    const done = this.spawn(vm.id, new Set(), opts.requestId).finally(() => this.o.inflight.delete(vm.id));
    if (!opts.wait) {
      done.catch(() => undefined);
      return { vm: this.view(this.o.store.read().vms[vm.id] ?? vm), created: true };
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
    const vm = state.vms[rec.vm_id];
    return vm ?? null;
  }

  private async claim(
    tenantId: string,
    req: CreateVmRequest,
    opts: { idempotencyKey?: string; source: string; requestId: string },
  ): Promise<VmRecord> {
    const state = this.o.store.read();
    const tenant = state.tenants[tenantId];
    if (!tenant) throw new VmError('not_found', 'Cannot find tenant');
    const own = Object.values(state.vms).filter((v) => v.tenant === tenantId);
    if (own.some((v) => v.name === req.name)) {
      throw new VmError('name_in_use', `Cannot create VM "${req.name}": the name is in use`);
    }
    checkQuota(tenant, own, req);
    const used = new Set(Object.values(state.vms).map((v) => v.vmid));
    const alloc = allocate(this.o.bands, used, {
      ...(req.vmid_band !== undefined ? { band: req.vmid_band } : {}),
      ...(req.vmid !== undefined ? { vmid: req.vmid } : {}),
    });
    const vmid = alloc.vmid;
    const band = alloc.band === undefined ? undefined : findBand(this.o.bands, alloc.band);
    if (band) checkName(band, req.name);
    const id = randomUUID();
    const result = this.place(req, id, new Set());
    if (!result.ok) throw new NoCapacityError(result.passes);
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
      placement: toPlacement(req, result.decision),
      created_at: now,
      updated_at: now,
    };
    // placement above and this mutator run with no await in between, so no other claim can interleave
    await this.o.store.update((d) => {
      d.vms[id] = vm;
      if (opts.idempotencyKey) {
        d.idempotency[idempotencyKey(tenantId, opts.idempotencyKey)] = {
          vm_id: id,
          request_hash: hashRequest(req),
          created_at: now,
        };
      }
    });
    this.o.registry.bump(result.decision.node_id);
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

  private place(req: CreateVmRequest, vmId: string, exclude: ReadonlySet<string>): PlacementResult {
    // nodes that already refused this VM are treated as down for the retry
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
      anti_affinity_group: req.placement.anti_affinity_group,
      image: req.image,
    };
    return placeVm(nodes, request, { ...this.o.placement, seed: this.o.placement.seed + this.seq++ });
  }

  private async spawn(vmId: string, exclude: Set<string>, requestId: string): Promise<VmRecord> {
    const maxAttempts = this.o.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      const vm = this.mustGet(vmId);
      const nodeId = vm.node_id!;
      const node = this.o.registry.get(nodeId);
      try {
        if (!node) throw new VmError('conflict', `Cannot spawn on node "${nodeId}": node unknown`);
        const spec = buildSpawnSpec(vm, vm.placement!, node.hello);
        const answer = await this.o.link.request(
          nodeId,
          { type: 'spawn', request_id: newRequestId(), spec },
          this.o.spawnTimeoutMs ?? 120_000,
        );
        if (answer.ok) return await this.markRunning(vmId, requestId);
        const code = answer.error?.code ?? 'spawn_failed';
        if (!STALE_CLAIM_CODES.has(code) || attempt >= maxAttempts) {
          throw new VmError(
            'spawn_failed',
            `Cannot start VM "${vm.name}" on node "${nodeId}": ${answer.error?.message ?? 'agent refused'}`,
            {
              details: { agent_error: answer.error, node_id: nodeId },
            },
          );
        }
        this.o.log.warn('stale claim, placing again', {
          vm_id: vmId,
          node_id: nodeId,
          error_code: code,
          request_id: requestId,
        });
      } catch (err) {
        if (!(isVmpoolError(err) && err.code === 'node_unavailable' && attempt < maxAttempts)) {
          await this.release(vmId, err, requestId);
          throw err;
        }
      }
      exclude.add(nodeId);
      await this.reclaim(vmId, exclude);
    }
  }

  private async reclaim(vmId: string, exclude: ReadonlySet<string>): Promise<void> {
    const vm = this.mustGet(vmId);
    const req = vm.request as CreateVmRequest;
    const result = this.place(req, vmId, exclude);
    if (!result.ok) {
      const err = new NoCapacityError(result.passes);
      await this.release(vmId, err, 'reclaim');
      throw err;
    }
    await this.o.store.update((d) => {
      const rec = d.vms[vmId];
      if (!rec) return;
      rec.node_id = result.decision.node_id;
      rec.placement = toPlacement(req, result.decision);
      rec.updated_at = new Date().toISOString();
    });
    this.o.registry.bump(result.decision.node_id);
  }

  private async markRunning(vmId: string, requestId: string): Promise<VmRecord> {
    await this.o.store.update((d) => {
      const rec = d.vms[vmId];
      if (rec) Object.assign(rec, { state: 'running', updated_at: new Date().toISOString() });
    });
    const vm = this.mustGet(vmId);
    await this.o.audit.append({
      tenant: vm.tenant,
      vm: vmId,
      op: 'vm.create',
      source: 'agent',
      result: 'running',
    });
    this.o.log.info('vm running', { vm_id: vmId, vmid: vm.vmid, node_id: vm.node_id, request_id: requestId });
    return vm;
  }

  /** release forgets a VM that never ran: its claim, VMID and idempotency key go with it. */
  private async release(vmId: string, err: unknown, requestId: string): Promise<void> {
    const vm = this.o.store.read().vms[vmId];
    if (!vm) return;
    await this.o.store.update((d) => {
      delete d.vms[vmId];
      for (const [k, rec] of Object.entries(d.idempotency)) if (rec.vm_id === vmId) delete d.idempotency[k];
    });
    if (vm.node_id) this.o.registry.bump(vm.node_id);
    const code = isVmpoolError(err) ? err.code : 'internal';
    await this.o.audit.append({
      tenant: vm.tenant,
      vm: vmId,
      op: 'vm.create',
      source: 'coordinator',
      result: `failed:${code}`,
    });
    this.o.log.warn('vm create failed', { vm_id: vmId, tenant_id: vm.tenant, err, request_id: requestId });
  }

  /** destroy stops and removes a VM on its node, then forgets it; another tenant's VM is not found. */
  async destroy(vmId: string, caller: Caller, source: string): Promise<void> {
    const vm = this.visible(vmId, caller);
    if (vm.node_id && vm.state !== 'failed') {
      const answer = await this.o.link.request(
        vm.node_id,
        { type: 'destroy', request_id: newRequestId(), vm_id: vm.id },
        60_000,
      );
      if (!answer.ok && answer.error?.code !== 'vm_not_found') {
        throw new VmError(
          'conflict',
          `Cannot destroy VM "${vm.name}": ${answer.error?.message ?? 'agent refused'}`,
          {
            details: { agent_error: answer.error },
          },
        );
      }
    }
    await this.o.store.update((d) => {
      delete d.vms[vmId];
      for (const [k, rec] of Object.entries(d.idempotency)) if (rec.vm_id === vmId) delete d.idempotency[k];
    });
    if (vm.node_id) this.o.registry.bump(vm.node_id);
    await this.o.audit.append({ tenant: vm.tenant, vm: vmId, op: 'vm.destroy', source, result: 'ok' });
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

  private mustGet(vmId: string): VmRecord {
    const vm = this.o.store.read().vms[vmId];
    if (!vm) throw new VmError('not_found', 'Cannot find VM: it was removed');
    return vm;
  }

  private view(vm: VmRecord): VmView {
    return viewVm(vm, this.o.registry);
  }
}

/** STALE_CLAIM_CODES are agent refusals that mean our view of the node was stale: try another node. */
const STALE_CLAIM_CODES = new Set([
  'pin_in_use',
  'insufficient_memory',
  'pin_host_reserved',
  'pin_not_online',
  'name_in_use',
]);

function toPlacement(
  req: CreateVmRequest,
  d: import('../placement/types.js').Decision,
): VmRecord['placement'] {
  return {
    numa_node: d.numa_node,
    vcpu_pins: d.vcpu_pins,
    emulator_cpuset: d.emulator_cpuset,
    memory_nodeset: d.memory_nodeset,
    cpu_policy: req.placement.cpu_policy,
    memory_mb: req.memory_mb,
    vcpu_count: req.vcpu_count,
    ...(req.placement.anti_affinity_group ? { anti_affinity_group: req.placement.anti_affinity_group } : {}),
    pass: d.pass,
  };
}

function hashRequest(req: CreateVmRequest): string {
  return createHash('sha256').update(JSON.stringify(req)).digest('hex');
}
