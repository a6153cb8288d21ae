import type { ClusterView } from './cluster.js';
import type { AuditList, AuditVerdict } from './audit.js';
import type { BandList, NodeDetail, NodeList } from './fleet.js';
import type { DryRunResult } from './placement.js';
import type { TenantCreateBody, TenantCreated, TenantList } from './tenants.js';
import { Transport, type TransportOptions } from './transport.js';
import type { CreateVmBody, VmList, VmView } from './vms.js';

/** CreateVmOptions are the non-body parts of POST /v1/vms. */
export interface CreateVmOptions {
  /** wait false answers 202 once the claim is durable instead of waiting for running */
  wait?: boolean;
  idempotencyKey?: string | undefined;
}

/** VmpoolClient is the typed client of the coordinator's /v1 API: one method per route. */
export class VmpoolClient {
  private readonly t: Transport;

  constructor(o: TransportOptions) {
    this.t = new Transport(o);
  }

  /** base is the coordinator URL the client talks to. */
  get base(): string {
    return this.t.base;
  }

  /** createVm is POST /v1/vms. */
  async createVm(body: CreateVmBody, o: CreateVmOptions = {}): Promise<VmView> {
    return (await this.t.request('POST', '/v1/vms', {
      body,
      query: { wait: o.wait === false ? 'false' : undefined },
      ...(o.idempotencyKey ? { headers: { 'idempotency-key': o.idempotencyKey } } : {}),
    })) as VmView;
  }

  /** dryRun is POST /v1/placements/dry-run. */
  async dryRun(body: CreateVmBody): Promise<DryRunResult> {
    return (await this.t.request('POST', '/v1/placements/dry-run', { body })) as DryRunResult;
  }

  /** listVms is GET /v1/vms: the caller's VMs, or all of them for the admin. */
  async listVms(): Promise<VmList> {
    return (await this.t.request('GET', '/v1/vms')) as VmList;
  }

  /** getVm is GET /v1/vms/{id}. */
  async getVm(id: string): Promise<VmView> {
    return (await this.t.request('GET', `/v1/vms/${encodeURIComponent(id)}`)) as VmView;
  }

  /** destroyVm is DELETE /v1/vms/{id}; keepDisk leaves the disk images on the node. */
  async destroyVm(id: string, o: { keepDisk?: boolean } = {}): Promise<void> {
    await this.t.request('DELETE', `/v1/vms/${encodeURIComponent(id)}`, {
      query: { keep_disk: o.keepDisk ? 'true' : undefined },
    });
  }

  /** listNodes is GET /v1/nodes (admin). */
  async listNodes(): Promise<NodeList> {
    return (await this.t.request('GET', '/v1/nodes')) as NodeList;
  }

  /** getNode is GET /v1/nodes/{id} (admin). */
  async getNode(id: string): Promise<NodeDetail> {
    return (await this.t.request('GET', `/v1/nodes/${encodeURIComponent(id)}`)) as NodeDetail;
  }

  /** listBands is GET /v1/vmid-bands (admin). */
  async listBands(): Promise<BandList> {
    return (await this.t.request('GET', '/v1/vmid-bands')) as BandList;
  }

  /** createTenant is POST /v1/tenants (admin); the answer holds the token, shown this once. */
  async createTenant(body: TenantCreateBody): Promise<TenantCreated> {
    return (await this.t.request('POST', '/v1/tenants', { body })) as TenantCreated;
  }

  /** listTenants is GET /v1/tenants (admin). */
  async listTenants(): Promise<TenantList> {
    return (await this.t.request('GET', '/v1/tenants')) as TenantList;
  }

  /** listAudit is GET /v1/audit (admin). */
  async listAudit(q: { limit?: number | undefined } = {}): Promise<AuditList> {
    return (await this.t.request('GET', '/v1/audit', { query: { limit: q.limit?.toString() } })) as AuditList;
  }

  /** getCluster is GET /v1/cluster (admin): leader, term, this coordinator's role, etcd health. */
  async getCluster(): Promise<ClusterView> {
    return (await this.t.request('GET', '/v1/cluster')) as ClusterView;
  }

  /** verifyAudit is GET /v1/audit/verify (admin). */
  async verifyAudit(): Promise<AuditVerdict> {
    return (await this.t.request('GET', '/v1/audit/verify')) as AuditVerdict;
  }
}
