import { randomUUID } from 'node:crypto';
import { failpoint } from '../../shared/failpoint.js';
import { parseOrThrow } from '../../shared/validation.js';
import type { BandConfig } from '../bands/index.js';
import type { ClaimBook } from '../claims/claim-book.js';
import type { PlacementResult } from '../placement/types.js';
import type { Placer } from '../placer/placer.js';
import type { VmRecord } from '../store/index.js';
import { TenantGate } from '../tenants/index.js';
import { admit, allocateVmid, findIdempotent, hashRequest } from './admission.js';
import { NoCapacityError, VmError } from './errors.js';
import { type CreateVmRequest, CreateVmSchema } from './schema.js';
import type { Spawner } from './spawner.js';
import { type VmView, viewVm } from './view.js';

/** Caller is who asks: the admin or one tenant. */
export type Caller = { kind: 'admin' } | { kind: 'tenant'; tenantId: string };

/** VmServiceOptions wires the service to its parts; every dependency is explicit. */
export interface VmServiceOptions {
  claims: ClaimBook;
  placer: Placer;
  spawner: Spawner;
  bands: BandConfig;
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

  /** dryRun shows where a VM would go and every node's reasons, claiming nothing and taking no seed. */
  dryRun(body: unknown, caller: Caller): PlacementResult {
    const req = parseOrThrow(CreateVmSchema, body, 'placement request');
    const { seed: _seed, ...result } = this.o.placer.dryRun(
      req,
      caller.kind === 'tenant' ? caller.tenantId : '_admin',
    );
    return result;
  }

  /** create claims under the tenant's gate, then spawns; with wait false it answers once the claim is durable. */
  async create(body: unknown, tenantId: string, opts: CreateOptions): Promise<CreateResult> {
    const req = parseOrThrow(CreateVmSchema, body, 'VM request');
    const claimed = await this.gate.run(tenantId, async () => {
      // looked up under the gate, so two concurrent requests with one key cannot both miss it
      const existing = findIdempotent(this.o.claims.state(), tenantId, req, opts.idempotencyKey);
      return existing
        ? { vm: existing, created: false }
        : { vm: await this.claim(tenantId, req, opts), created: true };
    });
    if (!claimed.created) return { vm: this.view(claimed.vm), created: false };
    failpoint('coordinator:claimed'); // fault tests: the claim is durable, the spawn never left
    const id = claimed.vm.id;
    const done = this.o.spawner.run(id, opts.requestId);
    if (!opts.wait) {
      done.catch(() => undefined);
      return { vm: this.view(this.o.claims.get(id) ?? claimed.vm), created: true };
    }
    return { vm: this.view(await done), created: true };
  }

  private claim(tenantId: string, req: CreateVmRequest, opts: CreateOptions): Promise<VmRecord> {
    const state = this.o.claims.state();
    admit(state, tenantId, req);
    const { vmid, band } = allocateVmid(this.o.bands, state, req);
    const id = randomUUID();
    const result = this.o.placer.place(req, tenantId, id, new Set());
    if (!result.ok) throw new NoCapacityError(result.passes);
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
    opts: { keepDisk?: boolean } = {},
  ): Promise<void> {
    const vm = this.visible(vmId, caller);
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
    if (vm.node_id) await this.o.spawner.destroyOnNode(vm, keepDisk);
    await this.o.claims.forget(vm, { keepDisk, source });
  }

  /** get shows one VM the caller may see. */
  get(vmId: string, caller: Caller): VmView {
    return this.view(this.visible(vmId, caller));
  }

  /** list shows the caller's VMs (every VM for the admin). */
  list(caller: Caller): VmView[] {
    return Object.values(this.o.claims.state().vms)
      .filter((v) => caller.kind === 'admin' || v.tenant === caller.tenantId)
      .sort((a, b) => a.created_at.localeCompare(b.created_at))
      .map((v) => this.view(v));
  }

  private visible(vmId: string, caller: Caller): VmRecord {
    const vm = this.o.claims.get(vmId);
    // another tenant's VM is indistinguishable from a missing one
    if (!vm || (caller.kind === 'tenant' && vm.tenant !== caller.tenantId)) {
      throw new VmError('not_found', 'Cannot find VM: no such VM');
    }
    return vm;
  }

  private view(vm: VmRecord): VmView {
    return viewVm(vm, this.o.placer);
  }
}
